package io.mppbroker.policy;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Currency;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads and validates one project policy file. The YAML is read into a Jackson tree and walked field by
 * field so that every problem is reported at once, each as {@code "<file>: <field path>: <what is wrong>"}.
 * See docs/policy.md for the schema.
 */
public final class PolicyLoader {
    /** Policy files are small; a larger file is a mistake (or an attack on the poller). */
    public static final int MAX_FILE_BYTES = 1 << 20;

    static final Pattern PROJECT = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
    static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}");
    static final Pattern TOKEN_HASH = Pattern.compile("[0-9a-f]{64}");
    static final Pattern PAYMENT_METHOD = Pattern.compile("pm_[A-Za-z0-9_]+");
    static final Pattern CURRENCY = Pattern.compile("[a-z]{3}");
    static final Pattern DECIMAL = Pattern.compile("[0-9]+(\\.[0-9]+)?");
    static final Pattern SHORT_WINDOW = Pattern.compile("([0-9]{1,9})([dhm])");
    static final Pattern SHORT_TIMEOUT = Pattern.compile("([0-9]{1,9})([dhms])");
    static final Pattern SLACK_USER = Pattern.compile("[UW][A-Z0-9]{2,31}");
    static final Pattern SLACK_CHANNEL = Pattern.compile("[CDG][A-Z0-9]{2,31}");
    static final Pattern TELEGRAM_USER = Pattern.compile("[1-9][0-9]{0,19}");
    static final Pattern TELEGRAM_CHAT = Pattern.compile("-?[0-9]{1,20}");

    private static final Set<String> ROOT_KEYS = keys("project", "currency", "agents", "payment", "budgets", "tiers",
            "sellers", "recurring", "approvers", "routing", "grants", "mode");
    private static final Set<String> AGENT_KEYS = keys("id", "token_sha256", "owner");
    private static final Set<String> APPROVER_KEYS = keys("id", "token_sha256", "slack_user", "telegram_user");
    private static final Set<String> PAYMENT_KEYS = keys("stripe_payment_method");
    private static final Set<String> BUDGET_KEYS = keys("per_task", "per_day", "per_month");
    private static final Set<String> TIER_KEYS = keys("auto_below", "explicit_above", "ceiling");
    private static final Set<String> SELLER_KEYS = keys("default", "allow", "deny");
    private static final Set<String> RECURRING_KEYS = keys("min_occurrences", "window", "amount_tolerance");
    /** Routing keys naming a tier, in the order tiers are checked; "default" serves tiers without their own. */
    private static final Map<String, Tier> ROUTED_TIERS = orderedTiers();
    private static final Set<String> ROUTING_KEYS = routingKeys();
    private static final Set<String> TIER_ROUTING_KEYS = keys("required_approvals", "routes");
    private static final Set<String> ROUTE_KEYS = keys("approvers", "slack", "telegram", "dashboard", "timeout");
    private static final Set<String> SLACK_KEYS = keys("channel", "users");
    private static final Set<String> TELEGRAM_KEYS = keys("chats");
    private static final Set<String> GRANT_KEYS = keys("id", "service", "actions", "resources", "branches", "deny", "expires");
    static final Pattern SERVICE = Pattern.compile("[a-z0-9][a-z0-9_.-]{0,62}");

    // Exact decimals: floats become BigDecimal with their written scale, so "100.10" can be echoed as written.
    private static final YAMLMapper YAML = YAMLMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
            .build();

    private PolicyLoader() {}

    /** Reads and validates {@code file}; the file name must be {@code <project>.yaml} or {@code <project>.yml}. */
    public static ProjectPolicy load(Path file) throws PolicyValidationException {
        try {
            if (Files.size(file) > MAX_FILE_BYTES) {
                throw new PolicyValidationException(file, List.of(file + ": (file): is larger than " + MAX_FILE_BYTES + " bytes"));
            }
            return parse(file, Files.readAllBytes(file));
        } catch (IOException e) {
            throw new PolicyValidationException(file, List.of(file + ": (file): cannot be read: " + e));
        }
    }

    /**
     * Validates policy bytes that were read from {@code source} (used for error messages, the file-name
     * check and {@link ProjectPolicy#source()}); the version hash is computed over exactly these bytes.
     */
    public static ProjectPolicy parse(Path source, byte[] bytes) throws PolicyValidationException {
        return new Reader(source, bytes, true).read();
    }

    /**
     * Reads a policy that is not (yet) deployed, for {@code policy test} and {@code policy backtest}: validated like
     * any policy file except that the file may be named anything ({@code research.candidate.yaml}).
     */
    public static ProjectPolicy loadCandidate(Path file) throws PolicyValidationException {
        try {
            if (Files.size(file) > MAX_FILE_BYTES) {
                throw new PolicyValidationException(file, List.of(file + ": (file): is larger than " + MAX_FILE_BYTES + " bytes"));
            }
            return new Reader(file, Files.readAllBytes(file), false).read();
        } catch (IOException e) {
            throw new PolicyValidationException(file, List.of(file + ": (file): cannot be read: " + e));
        }
    }

    private static Set<String> keys(String... names) {
        return new LinkedHashSet<>(List.of(names));
    }

    private static Map<String, Tier> orderedTiers() {
        Map<String, Tier> m = new LinkedHashMap<>();
        m.put("ask", Tier.ASK);
        m.put("explicit", Tier.EXPLICIT);
        m.put("recurring", Tier.RECURRING);
        m.put("over_budget", Tier.OVER_BUDGET);
        return m;
    }

    private static Set<String> routingKeys() {
        Set<String> k = keys("owner_cannot_approve", "on_final_timeout");
        k.addAll(ROUTED_TIERS.keySet());
        k.add("default");
        k.add("access");
        return k;
    }

    /** One validation run; collects errors instead of stopping at the first. */
    private static final class Reader {
        private final Path source;
        private final byte[] bytes;
        private final boolean checkFileName;
        private final List<String> errors = new ArrayList<>();
        /** Minor digits of the policy currency, or -1 while unknown (then digit checks are skipped). */
        private int digits = -1;

        Reader(Path source, byte[] bytes, boolean checkFileName) {
            this.source = source;
            this.bytes = bytes;
            this.checkFileName = checkFileName;
        }

        ProjectPolicy read() throws PolicyValidationException {
            if (bytes.length > MAX_FILE_BYTES) {
                error("(file)", "is larger than " + MAX_FILE_BYTES + " bytes");
                throw failure();
            }
            JsonNode root = readTree();
            if (root == null) throw failure();

            checkKeys((ObjectNode) root, "", ROOT_KEYS);
            String project = project(root);
            String currency = currency(root);
            List<AgentEntry> agents = entries(root, "agents", "agent", AGENT_KEYS,
                    (id, hash, entry, path) -> new AgentEntry(id, hash, owner(entry, path)));
            String paymentMethod = paymentMethod(root);
            Budgets budgets = budgets(root);
            Tiers tiers = tiers(root);
            SellerRules sellers = sellers(root);
            RecurringRule recurring = recurring(root);
            List<ApproverEntry> approvers = entries(root, "approvers", "approver", APPROVER_KEYS,
                    (id, hash, entry, path) -> new ApproverEntry(id, hash, slackUser(entry, path), telegramUser(entry, path)));
            checkUniqueness(agents, approvers);
            checkOwners(agents, approvers);
            Routing routing = routing(root, agents, approvers);
            List<Grant> grants = grants(root, project);
            PolicyMode mode = mode(root);

            if (!errors.isEmpty()) throw failure();
            return new ProjectPolicy(project, currency, agents, paymentMethod, budgets, tiers, sellers, recurring,
                    approvers, routing, source, Sha256.hex(bytes), grants, mode);
        }

        private JsonNode readTree() {
            try (JsonParser parser = YAML.createParser(bytes)) {
                JsonNode root = YAML.readTree(parser);
                if (root == null || root.isMissingNode() || root.isNull()) {
                    error("(file)", "is empty");
                    return null;
                }
                if (!root.isObject()) {
                    error("(file)", "must be a mapping of policy fields (project, currency, agents, ...), not " + kind(root));
                    return null;
                }
                if (parser.nextToken() != null) {
                    error("(file)", "holds more than one YAML document; write one policy per file");
                    return null;
                }
                return root;
            } catch (JsonProcessingException e) {
                JsonLocation at = e.getLocation();
                String where = at == null ? "(file)" : "line " + at.getLineNr() + ", column " + at.getColumnNr();
                error(where, "is not valid YAML: " + oneLine(e.getOriginalMessage()));
                return null;
            } catch (IOException | RuntimeException e) {
                error("(file)", "cannot be parsed: " + oneLine(String.valueOf(e.getMessage())));
                return null;
            }
        }

        // ---- sections -------------------------------------------------------------------------------

        private String project(JsonNode root) {
            String project = requiredString(root, "", "project");
            if (project == null) return null;
            if (!PROJECT.matcher(project).matches()) {
                error("project", quote(project) + " is not a valid project name: use 1 to 63 lowercase letters, digits "
                        + "and '-', starting with a letter or digit");
                return project;
            }
            String fileName = source.getFileName() == null ? "" : source.getFileName().toString();
            if (checkFileName && !fileName.equals(project + ".yaml") && !fileName.equals(project + ".yml")) {
                error("project", quote(project) + " does not match the file name " + fileName + " (expected "
                        + project + ".yaml or " + project + ".yml)");
            }
            return project;
        }

        private String currency(JsonNode root) {
            String currency = requiredString(root, "", "currency");
            if (currency == null) return null;
            if (!CURRENCY.matcher(currency).matches()) {
                error("currency", quote(currency) + " must be a lowercase three-letter ISO 4217 code, as in MPP requests (e.g. usd)");
                return currency;
            }
            Currency unit;
            try {
                unit = Currency.getInstance(currency.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                error("currency", "unknown currency " + quote(currency) + " (not an ISO 4217 code)");
                return currency;
            }
            if (unit.getDefaultFractionDigits() < 0) {
                error("currency", currency + " has no minor unit and is not a payment currency");
                return currency;
            }
            digits = unit.getDefaultFractionDigits();
            return currency;
        }

        /** Builds one agent or approver from its validated id and token hash plus its own optional fields. */
        private interface EntryMaker<E> {
            E make(String id, String tokenSha256, ObjectNode entry, String path);
        }

        private <E> List<E> entries(JsonNode root, String key, String noun, Set<String> allowed, EntryMaker<E> make) {
            JsonNode list = root.get(key);
            List<E> result = new ArrayList<>();
            if (list == null) {
                error(key, "is required: list at least one " + noun + " with id and token_sha256");
                return result;
            }
            if (!list.isArray()) {
                error(key, "must be a list of " + noun + "s (- id: ..., token_sha256: ...), not " + kind(list));
                return result;
            }
            if (list.isEmpty()) {
                error(key, "must list at least one " + noun);
                return result;
            }
            for (int i = 0; i < list.size(); i++) {
                String path = key + "[" + i + "]";
                JsonNode entry = list.get(i);
                if (!entry.isObject()) {
                    error(path, "must be a mapping with id and token_sha256, not " + kind(entry));
                    continue;
                }
                checkKeys((ObjectNode) entry, path, allowed);
                String id = requiredString(entry, path, "id");
                if (id != null && !ID.matcher(id).matches()) {
                    error(path + ".id", quote(id) + " is not a valid id: use up to 128 letters, digits and . _ @ + -, "
                            + "starting with a letter or digit");
                }
                String hash = tokenHash(entry, path);
                result.add(make.make(id, hash, (ObjectNode) entry, path));
            }
            return result;
        }

        private String tokenHash(JsonNode entry, String path) {
            // Never echo the value: a token pasted here by mistake must not end up in logs.
            String field = path + ".token_sha256";
            JsonNode node = entry.get("token_sha256");
            if (node == null) {
                error(field, "is required (hex SHA-256 of the token: printf %s TOKEN | sha256sum)");
                return null;
            }
            if (!node.isTextual()) {
                error(field, "must be a quoted string of 64 lowercase hex characters, not " + kind(node));
                return null;
            }
            String hash = node.textValue();
            if (TOKEN_HASH.matcher(hash).matches()) return hash;
            if (hash.length() == 64 && TOKEN_HASH.matcher(hash.toLowerCase(Locale.ROOT)).matches()) {
                error(field, "must be lowercase hex");
            } else {
                error(field, "must be 64 lowercase hex characters, the SHA-256 of the token (printf %s TOKEN | sha256sum); got "
                        + hash.length() + " characters" + (hash.chars().allMatch(c -> Character.digit(c, 16) >= 0) ? "" : " including non-hex ones"));
            }
            return null;
        }

        private String paymentMethod(JsonNode root) {
            ObjectNode payment = requiredMapping(root, "", "payment", PAYMENT_KEYS);
            if (payment == null) return null;
            String pm = requiredString(payment, "payment", "stripe_payment_method");
            if (pm != null && !PAYMENT_METHOD.matcher(pm).matches()) {
                error("payment.stripe_payment_method", quote(pm) + " is not a Stripe PaymentMethod id (pm_...)");
            }
            return pm;
        }

        /** {@code mode: enforce | observe}; absent means enforce. */
        private PolicyMode mode(JsonNode root) {
            JsonNode node = root.get("mode");
            if (node == null) return PolicyMode.ENFORCE;
            if (node.isTextual()) {
                for (PolicyMode m : PolicyMode.values()) {
                    if (m.text().equals(node.textValue())) return m;
                }
                error("mode", "must be enforce or observe, not " + quote(node.textValue()));
            } else {
                error("mode", "must be enforce or observe, not " + kind(node)
                        + (node.isNull() ? " (remove the key to enforce the policy)" : ""));
            }
            return PolicyMode.ENFORCE;
        }

        private Budgets budgets(JsonNode root) {
            ObjectNode budgets = optionalMapping(root, "", "budgets", BUDGET_KEYS);
            if (budgets == null) return Budgets.NONE;
            return new Budgets(
                    optionalAmount(budgets, "budgets", "per_task"),
                    optionalAmount(budgets, "budgets", "per_day"),
                    optionalAmount(budgets, "budgets", "per_month"));
        }

        private Tiers tiers(JsonNode root) {
            ObjectNode tiers = requiredMapping(root, "", "tiers", TIER_KEYS);
            if (tiers == null) return null;
            BigDecimal auto = requiredAmount(tiers, "tiers", "auto_below");
            BigDecimal explicit = requiredAmount(tiers, "tiers", "explicit_above");
            BigDecimal ceiling = requiredAmount(tiers, "tiers", "ceiling");
            if (auto != null && explicit != null && auto.compareTo(explicit) > 0) {
                error("tiers.auto_below", money(auto) + " must not be greater than tiers.explicit_above " + money(explicit));
            }
            if (explicit != null && ceiling != null && explicit.compareTo(ceiling) > 0) {
                error("tiers.explicit_above", money(explicit) + " must not be greater than tiers.ceiling " + money(ceiling));
            } else if (auto != null && ceiling != null && explicit == null && auto.compareTo(ceiling) > 0) {
                error("tiers.auto_below", money(auto) + " must not be greater than tiers.ceiling " + money(ceiling));
            }
            return new Tiers(auto, explicit, ceiling);
        }

        private SellerRules sellers(JsonNode root) {
            ObjectNode sellers = requiredMapping(root, "", "sellers", SELLER_KEYS);
            if (sellers == null) return null;
            SellerRules.Default defaultRule = null;
            String def = null;
            if (sellers.path("default").isBoolean()) {
                // YAML 1.1 reads a bare yes/no/on/off as a boolean.
                error("sellers.default", "must be allow or deny, not true/false");
            } else {
                def = requiredString(sellers, "sellers", "default");
            }
            if (def != null) {
                switch (def) {
                    case "allow" -> defaultRule = SellerRules.Default.ALLOW;
                    case "deny" -> defaultRule = SellerRules.Default.DENY;
                    default -> error("sellers.default", "must be allow or deny, not " + quote(def));
                }
            }
            List<SellerPattern> allow = patterns(sellers, "allow");
            List<SellerPattern> deny = patterns(sellers, "deny");
            return defaultRule == null ? null : new SellerRules(defaultRule, allow, deny);
        }

        private List<SellerPattern> patterns(ObjectNode sellers, String key) {
            String path = "sellers." + key;
            JsonNode list = sellers.get(key);
            List<SellerPattern> result = new ArrayList<>();
            if (list == null) return result;
            if (!list.isArray()) {
                error(path, "must be a list of patterns (host, *.domain, realm:<realm> or profile_<id>), not " + kind(list));
                return result;
            }
            for (int i = 0; i < list.size(); i++) {
                JsonNode item = list.get(i);
                if (!item.isTextual()) {
                    error(path + "[" + i + "]", "must be a string, not " + kind(item));
                    continue;
                }
                try {
                    result.add(SellerPattern.parse(item.textValue()));
                } catch (IllegalArgumentException e) {
                    error(path + "[" + i + "]", e.getMessage());
                }
            }
            return result;
        }

        private RecurringRule recurring(JsonNode root) {
            ObjectNode rec = optionalMapping(root, "", "recurring", RECURRING_KEYS);
            if (rec == null) return RecurringRule.DEFAULT;
            int min = RecurringRule.DEFAULT.minOccurrences();
            JsonNode minNode = rec.get("min_occurrences");
            if (minNode != null) {
                if (!minNode.isIntegralNumber() || !minNode.canConvertToInt()) {
                    error("recurring.min_occurrences", "must be a whole number such as 3, not " + kind(minNode));
                } else if (minNode.intValue() < 2) {
                    error("recurring.min_occurrences", "must be at least 2, got " + minNode.intValue());
                } else {
                    min = minNode.intValue();
                }
            }
            Duration window = RecurringRule.DEFAULT.window();
            JsonNode windowNode = rec.get("window");
            if (windowNode != null) window = window(windowNode);
            BigDecimal tolerance = RecurringRule.DEFAULT.amountTolerance();
            JsonNode tolNode = rec.get("amount_tolerance");
            if (tolNode != null) {
                BigDecimal t = decimal(tolNode, "recurring.amount_tolerance", "0.10");
                if (t != null && t.compareTo(BigDecimal.ONE) > 0) {
                    error("recurring.amount_tolerance", quote(tolNode.textValue())
                            + " must be between 0 and 1: it is a fraction of the amount (\"0.10\" = ±10%)");
                } else if (t != null) {
                    tolerance = t;
                }
            }
            return new RecurringRule(min, window == null ? RecurringRule.DEFAULT.window() : window, tolerance);
        }

        private Duration window(JsonNode node) {
            return duration(node, "recurring.window", SHORT_WINDOW, "use a duration such as 7d, 24h, 30m or ISO-8601 P7D",
                    Duration.ZERO, "must be longer than zero");
        }

        private Duration timeout(JsonNode node, String path) {
            return duration(node, path, SHORT_TIMEOUT, "use a duration such as 45s, 30m, 2h, 1d or ISO-8601 PT30M",
                    Duration.ofSeconds(1).minusNanos(1), "must be at least 1s");
        }

        /** {@code <n>d|h|m[|s]} or ISO-8601; must be longer than {@code above}. */
        private Duration duration(JsonNode node, String path, Pattern shortForm, String hint, Duration above, String tooShort) {
            if (!node.isTextual()) {
                error(path, (node.isNumber() ? node.asText() + " has no unit" : "must be a string, not " + kind(node)) + ": " + hint);
                return null;
            }
            String text = node.textValue();
            Duration d = null;
            Matcher m = shortForm.matcher(text);
            if (m.matches()) {
                long n = Long.parseLong(m.group(1));
                d = switch (m.group(2)) {
                    case "d" -> Duration.ofDays(n);
                    case "h" -> Duration.ofHours(n);
                    case "m" -> Duration.ofMinutes(n);
                    default -> Duration.ofSeconds(n);
                };
            } else if (text.startsWith("P")) {
                try {
                    d = Duration.parse(text);
                } catch (DateTimeParseException e) {
                    d = null;
                }
            }
            if (d == null) {
                error(path, quote(text) + " is not a duration: " + hint);
                return null;
            }
            if (d.compareTo(above) <= 0) {
                error(path, quote(text) + " " + tooShort);
                return null;
            }
            return d;
        }

        // ---- identities and owners -------------------------------------------------------------------

        private Optional<String> owner(ObjectNode entry, String path) {
            JsonNode node = entry.get("owner");
            if (node == null) return Optional.empty();
            if (!node.isTextual() || node.textValue().isBlank()) {
                error(path + ".owner", "must be the id of an approver of this file, not " + kind(node));
                return Optional.empty();
            }
            return Optional.of(node.textValue());
        }

        private Optional<String> slackUser(ObjectNode entry, String path) {
            JsonNode node = entry.get("slack_user");
            if (node == null) return Optional.empty();
            String field = path + ".slack_user";
            if (!node.isTextual()) {
                error(field, "must be a Slack user id such as U0123ABC, not " + kind(node));
                return Optional.empty();
            }
            String id = node.textValue();
            if (!SLACK_USER.matcher(id).matches()) {
                error(field, quote(id) + " is not a Slack user id (U or W followed by capital letters and digits, e.g. "
                        + "U0123ABC; the member id from the Slack profile, not the display name)");
                return Optional.empty();
            }
            return Optional.of(id);
        }

        private Optional<String> telegramUser(ObjectNode entry, String path) {
            JsonNode node = entry.get("telegram_user");
            if (node == null) return Optional.empty();
            String field = path + ".telegram_user";
            String id = integerText(node);
            if (id == null) {
                error(field, "must be a Telegram user id (digits, e.g. \"123456789\"), not " + kind(node));
                return Optional.empty();
            }
            if (!TELEGRAM_USER.matcher(id).matches()) {
                error(field, quote(id) + " is not a Telegram user id (a positive number such as \"123456789\"; "
                        + "not the @username)");
                return Optional.empty();
            }
            return Optional.of(id);
        }

        /** A string as written, or a YAML integer as its decimal string (chat ids are integers); else null. */
        private static String integerText(JsonNode node) {
            if (node.isTextual()) return node.textValue();
            if (node.isIntegralNumber()) return node.bigIntegerValue().toString();
            return null;
        }

        private void checkOwners(List<AgentEntry> agents, List<ApproverEntry> approvers) {
            Set<String> ids = approverIds(approvers);
            for (int i = 0; i < agents.size(); i++) {
                Optional<String> owner = agents.get(i).owner();
                if (owner.isPresent() && !ids.contains(owner.get())) {
                    error("agents[" + i + "].owner", quote(owner.get()) + " is not an approver of this file ("
                            + describeIds(ids) + ")");
                }
            }
        }

        private static Set<String> approverIds(List<ApproverEntry> approvers) {
            Set<String> ids = new LinkedHashSet<>();
            approvers.forEach(a -> {
                if (a.id() != null) ids.add(a.id());
            });
            return ids;
        }

        private static String describeIds(Collection<String> ids) {
            return ids.isEmpty() ? "there are none" : "approvers: " + String.join(", ", ids);
        }

        private void checkUniqueness(List<AgentEntry> agents, List<ApproverEntry> approvers) {
            Map<String, Integer> agentIds = new HashMap<>();
            Map<String, String> hashes = new HashMap<>();
            for (int i = 0; i < agents.size(); i++) {
                AgentEntry a = agents.get(i);
                if (a.id() != null) {
                    Integer first = agentIds.putIfAbsent(a.id(), i);
                    if (first != null) {
                        error("agents[" + i + "].id", "duplicate agent id " + quote(a.id()) + " (already agents[" + first + "].id)");
                    }
                }
                sameHash(a.tokenSha256(), "agents[" + i + "]", hashes);
            }
            Map<String, Integer> approverIds = new HashMap<>();
            for (int i = 0; i < approvers.size(); i++) {
                ApproverEntry a = approvers.get(i);
                if (a.id() != null) {
                    Integer first = approverIds.putIfAbsent(a.id(), i);
                    if (first != null) {
                        error("approvers[" + i + "].id", "duplicate approver id " + quote(a.id()) + " (already approvers[" + first + "].id)");
                    }
                }
                sameHash(a.tokenSha256(), "approvers[" + i + "]", hashes);
            }
            sameChatUser(approvers, "slack_user", "Slack", ApproverEntry::slackUser);
            sameChatUser(approvers, "telegram_user", "Telegram", ApproverEntry::telegramUser);
        }

        /** A chat user's button press must identify exactly one approver. */
        private void sameChatUser(List<ApproverEntry> approvers, String key, String chat,
                                  java.util.function.Function<ApproverEntry, Optional<String>> user) {
            Map<String, Integer> seen = new HashMap<>();
            for (int i = 0; i < approvers.size(); i++) {
                Optional<String> id = user.apply(approvers.get(i));
                if (id.isEmpty()) continue;
                Integer first = seen.putIfAbsent(id.get(), i);
                if (first != null) {
                    error("approvers[" + i + "]." + key, "same " + chat + " user as approvers[" + first + "]; a "
                            + chat + " user answers as exactly one approver");
                }
            }
        }

        private void sameHash(String hash, String path, Map<String, String> seen) {
            if (hash == null) return;
            String first = seen.putIfAbsent(hash, path);
            if (first == null) return;
            String why = first.startsWith("agents") && path.startsWith("approvers")
                    ? "; an agent must never be able to approve its own payments"
                    : "; every agent and approver needs its own token";
            error(path + ".token_sha256", "same token hash as " + first + why);
        }

        // ---- routing --------------------------------------------------------------------------------

        /** The routing section, or the built-in routing when absent; null when it has errors. */
        private Routing routing(JsonNode root, List<AgentEntry> agents, List<ApproverEntry> approvers) {
            Map<String, ApproverEntry> byId = new LinkedHashMap<>();
            approvers.forEach(a -> {
                if (a.id() != null) byId.putIfAbsent(a.id(), a);
            });
            ObjectNode section = optionalMapping(root, "", "routing", ROUTING_KEYS);
            if (section == null && root.get("routing") != null) return null;
            boolean ownerCannotApprove = true;
            FinalTimeout onFinalTimeout = FinalTimeout.DENY;
            Map<Tier, TierRouting> tiers = new EnumMap<>(Tier.class);
            Map<Tier, String> sectionOf = new EnumMap<>(Tier.class);
            TierRouting fallback = null;
            TierRouting access = null;
            boolean broken = false;
            if (section != null) {
                JsonNode owner = section.get("owner_cannot_approve");
                if (owner != null) {
                    if (owner.isBoolean()) {
                        ownerCannotApprove = owner.booleanValue();
                    } else {
                        error("routing.owner_cannot_approve", "must be true or false, not " + kind(owner));
                        broken = true;
                    }
                }
                JsonNode timeout = section.get("on_final_timeout");
                if (timeout != null) {
                    String text = timeout.isTextual() ? timeout.textValue() : null;
                    if ("deny".equals(text)) {
                        onFinalTimeout = FinalTimeout.DENY;
                    } else if ("keep_waiting".equals(text)) {
                        onFinalTimeout = FinalTimeout.KEEP_WAITING;
                    } else {
                        error("routing.on_final_timeout", "must be deny or keep_waiting, not "
                                + (text == null ? kind(timeout) : quote(text)));
                        broken = true;
                    }
                }
                // File order, so errors come out in the order they are written.
                for (Iterator<String> it = section.fieldNames(); it.hasNext(); ) {
                    String key = it.next();
                    if (!ROUTED_TIERS.containsKey(key) && !key.equals("default") && !key.equals("access")) continue;
                    TierRouting tr = tierRouting(section.get(key), "routing." + key, byId);
                    if (tr == null) {
                        broken = true;
                    } else if (key.equals("access")) {
                        access = tr;
                    } else if (key.equals("default")) {
                        fallback = tr;
                    } else {
                        tiers.put(ROUTED_TIERS.get(key), tr);
                        sectionOf.put(ROUTED_TIERS.get(key), "routing." + key);
                    }
                }
            }
            if (broken || byId.size() != approvers.size() || approvers.isEmpty()) return null;
            String fallbackName = fallback != null ? "routing.default" : "the built-in routing (every approver, one approval)";
            if (fallback == null) fallback = TierRouting.builtIn(List.copyOf(byId.keySet()));
            Routing routing = new Routing(ownerCannotApprove, onFinalTimeout, tiers, fallback, access);
            if (ownerCannotApprove) checkOwnersCanBeOverruled(agents, routing, sectionOf, fallbackName);
            return routing;
        }

        /**
         * With owner_cannot_approve, an agent whose owner is needed to reach required_approvals could never
         * get a payment (or an access request) approved; refuse such a file rather than deny every one later.
         */
        private void checkOwnersCanBeOverruled(List<AgentEntry> agents, Routing routing, Map<Tier, String> sectionOf,
                                               String fallbackName) {
            record Checked(String section, TierRouting routing, String what) {}
            List<Checked> checked = new ArrayList<>();
            for (Tier tier : ROUTED_TIERS.values()) {
                checked.add(new Checked(sectionOf.getOrDefault(tier, fallbackName), routing.forTier(tier), "payments"));
            }
            // Without routing.access, access requests follow the ask tier: the same section, reported once.
            checked.add(new Checked(routing.access() != null ? "routing.access" : sectionOf.getOrDefault(Tier.ASK, fallbackName),
                    routing.forAccess(), "access requests"));
            for (int i = 0; i < agents.size(); i++) {
                AgentEntry agent = agents.get(i);
                if (agent.owner().isEmpty()) continue;
                String owner = agent.owner().get();
                Set<String> reported = new HashSet<>();
                for (Checked c : checked) {
                    TierRouting tr = c.routing();
                    Set<String> others = new LinkedHashSet<>(tr.allApprovers());
                    if (!others.remove(owner) || others.size() >= tr.requiredApprovals() || !reported.add(c.section())) continue;
                    error("agents[" + i + "].owner", quote(owner) + " owns " + agent.id()
                            + " and routing.owner_cannot_approve is true, so " + c.section() + " can never approve its "
                            + c.what() + ": it needs "
                            + tr.requiredApprovals() + (tr.requiredApprovals() == 1 ? " approval" : " approvals")
                            + " and reaches only " + others.size() + " other approver" + (others.size() == 1 ? "" : "s")
                            + (others.isEmpty() ? "" : " (" + String.join(", ", others) + ")"));
                }
            }
        }

        private TierRouting tierRouting(JsonNode node, String path, Map<String, ApproverEntry> approvers) {
            int before = errors.size();
            if (!node.isObject()) {
                error(path, "must be a mapping with " + String.join(", ", TIER_ROUTING_KEYS) + ", not " + kind(node));
                return null;
            }
            checkKeys((ObjectNode) node, path, TIER_ROUTING_KEYS);
            List<Route> routes = new ArrayList<>();
            JsonNode list = node.get("routes");
            if (list == null) {
                error(path + ".routes", "is required (a list of routes: - approvers: [...], slack/telegram/dashboard, timeout)");
            } else if (!list.isArray()) {
                error(path + ".routes", "must be a list of routes (- approvers: [...], ...), not " + kind(list));
            } else if (list.isEmpty()) {
                error(path + ".routes", "must list at least one route");
            } else {
                for (int i = 0; i < list.size(); i++) {
                    Route r = route(list.get(i), path + ".routes[" + i + "]", approvers);
                    if (r != null) routes.add(r);
                }
            }
            int required = 1;
            JsonNode req = node.get("required_approvals");
            if (req != null) {
                if (!req.isIntegralNumber() || !req.canConvertToInt()) {
                    error(path + ".required_approvals", "must be a whole number such as 2, not " + kind(req));
                } else if (req.intValue() < 1) {
                    error(path + ".required_approvals", "must be at least 1, got " + req.intValue());
                } else {
                    required = req.intValue();
                    if (errors.size() == before) {
                        Set<String> reachable = new LinkedHashSet<>();
                        routes.forEach(r -> reachable.addAll(r.approvers()));
                        if (required > reachable.size()) {
                            error(path + ".required_approvals", required + " approvals can never be given: the routes reach only "
                                    + reachable.size() + " distinct approver" + (reachable.size() == 1 ? "" : "s")
                                    + " (" + String.join(", ", reachable) + ")");
                        }
                    }
                }
            }
            return errors.size() == before ? new TierRouting(required, routes) : null;
        }

        private Route route(JsonNode node, String path, Map<String, ApproverEntry> approvers) {
            int before = errors.size();
            if (!node.isObject()) {
                error(path, "must be a mapping with " + String.join(", ", ROUTE_KEYS) + ", not " + kind(node));
                return null;
            }
            checkKeys((ObjectNode) node, path, ROUTE_KEYS);

            List<String> ids = new ArrayList<>();
            JsonNode list = node.get("approvers");
            if (list == null) {
                error(path + ".approvers", "is required (a list of approver ids of this file)");
            } else if (!list.isArray()) {
                error(path + ".approvers", "must be a list of approver ids, not " + kind(list));
            } else if (list.isEmpty()) {
                error(path + ".approvers", "must name at least one approver");
            } else {
                for (int i = 0; i < list.size(); i++) {
                    String field = path + ".approvers[" + i + "]";
                    JsonNode item = list.get(i);
                    if (!item.isTextual()) {
                        error(field, "must be an approver id, not " + kind(item));
                    } else if (!approvers.containsKey(item.textValue())) {
                        error(field, "unknown approver " + quote(item.textValue()) + " (" + describeIds(approvers.keySet()) + ")");
                    } else if (ids.contains(item.textValue())) {
                        error(field, quote(item.textValue()) + " is listed twice in this route");
                    } else {
                        ids.add(item.textValue());
                    }
                }
            }

            Optional<String> channel = Optional.empty();
            List<String> slackUsers = new ArrayList<>();
            ObjectNode slack = optionalMapping(node, path, "slack", SLACK_KEYS);
            if (slack != null) {
                JsonNode ch = slack.get("channel");
                if (ch != null) {
                    if (!ch.isTextual()) {
                        error(path + ".slack.channel", "must be a Slack channel id such as C0123ABC, not " + kind(ch));
                    } else if (!SLACK_CHANNEL.matcher(ch.textValue()).matches()) {
                        error(path + ".slack.channel", quote(ch.textValue()) + " is not a Slack channel id (C, G or D followed by "
                                + "capital letters and digits, e.g. C0123ABC; not the #name)");
                    } else {
                        channel = Optional.of(ch.textValue());
                    }
                }
                JsonNode users = slack.get("users");
                if (users != null) {
                    if (!users.isArray() || users.isEmpty()) {
                        error(path + ".slack.users", "must be a non-empty list of Slack user ids such as U0123ABC, not "
                                + (users.isArray() ? "an empty list" : kind(users)));
                    } else {
                        for (int i = 0; i < users.size(); i++) {
                            JsonNode u = users.get(i);
                            String field = path + ".slack.users[" + i + "]";
                            if (!u.isTextual() || !SLACK_USER.matcher(u.textValue()).matches()) {
                                error(field, (u.isTextual() ? quote(u.textValue()) : kind(u))
                                        + " is not a Slack user id (U or W followed by capital letters and digits, e.g. U0123ABC)");
                            } else {
                                slackUsers.add(u.textValue());
                            }
                        }
                    }
                }
                if (ch == null && users == null) {
                    error(path + ".slack", "names no channel and no users (write channel: C... and/or users: [U...])");
                }
            }

            List<String> chats = new ArrayList<>();
            ObjectNode telegram = optionalMapping(node, path, "telegram", TELEGRAM_KEYS);
            if (telegram != null) {
                JsonNode list2 = telegram.get("chats");
                if (list2 == null) {
                    error(path + ".telegram.chats", "is required (a list of Telegram chat ids such as \"-1001234567\")");
                } else if (!list2.isArray() || list2.isEmpty()) {
                    error(path + ".telegram.chats", "must be a non-empty list of Telegram chat ids such as \"-1001234567\", not "
                            + (list2.isArray() ? "an empty list" : kind(list2)));
                } else {
                    for (int i = 0; i < list2.size(); i++) {
                        String text = integerText(list2.get(i));
                        if (text == null || !TELEGRAM_CHAT.matcher(text).matches()) {
                            error(path + ".telegram.chats[" + i + "]", (text == null ? kind(list2.get(i)) : quote(text))
                                    + " is not a Telegram chat id (digits with an optional leading '-', e.g. \"-1001234567\")");
                        } else {
                            chats.add(text);
                        }
                    }
                }
            }

            boolean dashboard = true;
            JsonNode dash = node.get("dashboard");
            if (dash != null) {
                if (dash.isBoolean()) {
                    dashboard = dash.booleanValue();
                } else {
                    error(path + ".dashboard", "must be true or false, not " + kind(dash));
                }
            }

            Duration timeout = Route.DEFAULT_TIMEOUT;
            JsonNode t = node.get("timeout");
            if (t != null) timeout = timeout(t, path + ".timeout");

            if (errors.size() != before) return null;
            boolean usesSlack = channel.isPresent() || !slackUsers.isEmpty();
            boolean usesTelegram = !chats.isEmpty();
            if (!dashboard && !usesSlack && !usesTelegram) {
                error(path, "reaches nobody: dashboard is false and there is no slack or telegram");
                return null;
            }
            if (!dashboard) {
                // Answers on Slack/Telegram count only from the approver's own chat user.
                for (int i = 0; i < ids.size(); i++) {
                    ApproverEntry a = approvers.get(ids.get(i));
                    boolean canAnswer = (usesSlack && a.slackUser().isPresent()) || (usesTelegram && a.telegramUser().isPresent());
                    if (!canAnswer) {
                        error(path + ".approvers[" + i + "]", quote(a.id()) + " could not answer on this route: dashboard is false and "
                                + a.id() + " has no " + (usesSlack && usesTelegram ? "slack_user or telegram_user"
                                : usesSlack ? "slack_user" : "telegram_user"));
                    }
                }
                if (errors.size() != before) return null;
            }
            return new Route(ids, channel, slackUsers, chats, dashboard, timeout);
        }

        /** Optional access grants; absent or empty = the project's agents may access nothing (deny by default). */
        private List<Grant> grants(JsonNode root, String project) {
            List<Grant> result = new ArrayList<>();
            JsonNode list = root.get("grants");
            if (list == null) return result;
            if (!list.isArray()) {
                error("grants", "must be a list of grants (- service: ..., actions: [...]), not " + kind(list));
                return result;
            }
            Set<String> ids = new HashSet<>();
            for (int i = 0; i < list.size(); i++) {
                String path = "grants[" + i + "]";
                JsonNode entry = list.get(i);
                if (!entry.isObject()) {
                    error(path, "must be a mapping with service and actions, not " + kind(entry));
                    continue;
                }
                int before = errors.size();
                checkKeys((ObjectNode) entry, path, GRANT_KEYS);
                String id = project + "#" + i;
                if (entry.has("id")) {
                    String explicit = requiredString(entry, path, "id");
                    if (explicit != null && !ID.matcher(explicit).matches()) {
                        error(path + ".id", quote(explicit) + " is not a valid id: use up to 128 letters, digits and . _ @ + -, "
                                + "starting with a letter or digit");
                    } else if (explicit != null) {
                        id = explicit;
                    }
                }
                if (!ids.add(id)) error(path + ".id", quote(id) + " is used by another grant");
                String service = requiredString(entry, path, "service");
                if (service != null && !SERVICE.matcher(service).matches()) {
                    error(path + ".service", quote(service) + " is not a service name (lowercase letters, digits, . _ -, e.g. aws, git, tools, stripe)");
                }
                List<String> actions = patternList(entry, path, "actions", true);
                List<String> resources = patternList(entry, path, "resources", false);
                List<String> branches = patternList(entry, path, "branches", false);
                List<String> deny = patternList(entry, path, "deny", false);
                for (int r = 0; r < resources.size(); r++) {
                    String res = resources.get(r);
                    if (res.startsWith("arn:") && res.split(":", 6).length < 6) {
                        error(path + ".resources[" + r + "]", quote(res) + " is not a complete ARN (arn:partition:service:region:account:resource)");
                    }
                }
                java.time.Instant expires = null;
                if (entry.has("expires")) {
                    String text = requiredString(entry, path, "expires");
                    try {
                        if (text != null) expires = java.time.OffsetDateTime.parse(text).toInstant();
                    } catch (DateTimeParseException e) {
                        error(path + ".expires", quote(text) + " is not an RFC 3339 timestamp such as 2026-05-02T17:42:11Z");
                    }
                }
                if (errors.size() == before) result.add(new Grant(id, service, actions, resources, branches, deny, expires));
            }
            return result;
        }

        /** A list of non-empty strings; {@code required} lists must hold at least one. */
        private List<String> patternList(JsonNode entry, String path, String key, boolean required) {
            List<String> result = new ArrayList<>();
            JsonNode list = entry.get(key);
            String field = path + "." + key;
            if (list == null) {
                if (required) error(field, "is required (a list such as [\"*\"])");
                return result;
            }
            if (!list.isArray() || list.isEmpty()) {
                error(field, "must be a non-empty list of strings, not " + (list.isArray() ? "an empty list" : kind(list))
                        + (required ? "" : " (remove the key for no restriction)"));
                return result;
            }
            for (int i = 0; i < list.size(); i++) {
                JsonNode item = list.get(i);
                if (!item.isTextual() || item.textValue().isBlank()) {
                    error(field + "[" + i + "]", "must be a non-empty string, not " + (item.isTextual() ? "an empty string" : kind(item)));
                } else {
                    result.add(item.textValue());
                }
            }
            return result;
        }

        // ---- field helpers --------------------------------------------------------------------------

        private void checkKeys(ObjectNode node, String path, Set<String> allowed) {
            for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
                String key = it.next();
                if (!allowed.contains(key)) {
                    error(join(path, key), "unknown key (allowed here: " + String.join(", ", allowed) + ")");
                }
            }
        }

        private ObjectNode requiredMapping(JsonNode parent, String path, String key, Set<String> allowed) {
            if (parent.get(key) == null) {
                error(join(path, key), "is required (a mapping with " + String.join(", ", allowed) + ")");
                return null;
            }
            return optionalMapping(parent, path, key, allowed);
        }

        private ObjectNode optionalMapping(JsonNode parent, String path, String key, Set<String> allowed) {
            JsonNode node = parent.get(key);
            if (node == null) return null;
            if (!node.isObject()) {
                error(join(path, key), "must be a mapping with " + String.join(", ", allowed) + ", not " + kind(node)
                        + (node.isNull() ? " (remove the key to use the defaults)" : ""));
                return null;
            }
            checkKeys((ObjectNode) node, join(path, key), allowed);
            return (ObjectNode) node;
        }

        private String requiredString(JsonNode parent, String path, String key) {
            JsonNode node = parent.get(key);
            String field = join(path, key);
            if (node == null) {
                error(field, "is required");
                return null;
            }
            if (!node.isTextual()) {
                error(field, "must be a string, not " + kind(node));
                return null;
            }
            if (node.textValue().isBlank()) {
                error(field, "must not be empty");
                return null;
            }
            return node.textValue();
        }

        private BigDecimal requiredAmount(ObjectNode parent, String path, String key) {
            if (parent.get(key) == null) {
                error(join(path, key), "is required (a quoted decimal amount, e.g. \"100.00\")");
                return null;
            }
            return optionalAmount(parent, path, key).orElse(null);
        }

        private Optional<BigDecimal> optionalAmount(ObjectNode parent, String path, String key) {
            JsonNode node = parent.get(key);
            if (node == null) return Optional.empty();
            String field = join(path, key);
            if (node.isNull()) {
                error(field, "has no value (write a quoted amount, or remove the key for no limit)");
                return Optional.empty();
            }
            BigDecimal amount = decimal(node, field, "100.00");
            if (amount == null) return Optional.empty();
            if (digits >= 0 && amount.scale() > digits) {
                error(field, quote(node.textValue()) + " has " + amount.scale() + " decimal places; the currency has "
                        + digits);
                return Optional.empty();
            }
            return Optional.of(amount);
        }

        /** A non-negative decimal written as a quoted string; YAML numbers are refused so no float ever sneaks in. */
        private BigDecimal decimal(JsonNode node, String field, String example) {
            if (node.isNumber()) {
                String written = node.isBigDecimal() ? node.decimalValue().toPlainString() : node.asText();
                error(field, written + " is a YAML number; write it as a quoted string (\"" + written
                        + "\") so the value stays exact");
                return null;
            }
            if (!node.isTextual()) {
                error(field, "must be a quoted decimal string such as \"" + example + "\", not " + kind(node));
                return null;
            }
            String text = node.textValue();
            if (text.startsWith("-") && DECIMAL.matcher(text.substring(1)).matches()) {
                error(field, quote(text) + " must not be negative");
                return null;
            }
            if (!DECIMAL.matcher(text).matches()) {
                error(field, quote(text) + " is not a decimal number (digits with an optional '.' and decimals, e.g. \""
                        + example + "\")");
                return null;
            }
            return new BigDecimal(text);
        }

        private String money(BigDecimal amount) {
            if (digits < 0) return amount.toPlainString();
            try {
                return amount.setScale(digits, RoundingMode.UNNECESSARY).toPlainString();
            } catch (ArithmeticException e) {
                return amount.toPlainString();
            }
        }

        private void error(String field, String what) {
            errors.add(source + ": " + field + ": " + what);
        }

        private PolicyValidationException failure() {
            return new PolicyValidationException(source, errors);
        }
    }

    private static String join(String path, String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    private static String quote(String s) {
        return "\"" + s + "\"";
    }

    private static String kind(JsonNode node) {
        if (node.isNull()) return "an empty value";
        if (node.isTextual()) return "a string";
        if (node.isNumber()) return "a number";
        if (node.isBoolean()) return "true/false";
        if (node.isArray()) return "a list";
        if (node.isObject()) return "a mapping";
        return node.getNodeType().toString().toLowerCase(Locale.ROOT);
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s+", " ").trim();
    }
}
