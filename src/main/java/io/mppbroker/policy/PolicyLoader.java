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
import java.util.Currency;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiFunction;
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

    private static final Set<String> ROOT_KEYS = keys("project", "currency", "agents", "payment", "budgets", "tiers",
            "sellers", "recurring", "approvers");
    private static final Set<String> ENTRY_KEYS = keys("id", "token_sha256");
    private static final Set<String> PAYMENT_KEYS = keys("stripe_payment_method");
    private static final Set<String> BUDGET_KEYS = keys("per_task", "per_day", "per_month");
    private static final Set<String> TIER_KEYS = keys("auto_below", "explicit_above", "ceiling");
    private static final Set<String> SELLER_KEYS = keys("default", "allow", "deny");
    private static final Set<String> RECURRING_KEYS = keys("min_occurrences", "window", "amount_tolerance");

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
        return new Reader(source, bytes).read();
    }

    private static Set<String> keys(String... names) {
        return new LinkedHashSet<>(List.of(names));
    }

    /** One validation run; collects errors instead of stopping at the first. */
    private static final class Reader {
        private final Path source;
        private final byte[] bytes;
        private final List<String> errors = new ArrayList<>();
        /** Minor digits of the policy currency, or -1 while unknown (then digit checks are skipped). */
        private int digits = -1;

        Reader(Path source, byte[] bytes) {
            this.source = source;
            this.bytes = bytes;
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
            List<AgentEntry> agents = entries(root, "agents", "agent", AgentEntry::new);
            String paymentMethod = paymentMethod(root);
            Budgets budgets = budgets(root);
            Tiers tiers = tiers(root);
            SellerRules sellers = sellers(root);
            RecurringRule recurring = recurring(root);
            List<ApproverEntry> approvers = entries(root, "approvers", "approver", ApproverEntry::new);
            checkUniqueness(agents, approvers);

            if (!errors.isEmpty()) throw failure();
            return new ProjectPolicy(project, currency, agents, paymentMethod, budgets, tiers, sellers, recurring,
                    approvers, source, PolicyVersion.of(Sha256.hex(bytes), List.of()));
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
            if (!fileName.equals(project + ".yaml") && !fileName.equals(project + ".yml")) {
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

        private <E> List<E> entries(JsonNode root, String key, String noun, BiFunction<String, String, E> make) {
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
                checkKeys((ObjectNode) entry, path, ENTRY_KEYS);
                String id = requiredString(entry, path, "id");
                if (id != null && !ID.matcher(id).matches()) {
                    error(path + ".id", quote(id) + " is not a valid id: use up to 128 letters, digits and . _ @ + -, "
                            + "starting with a letter or digit");
                }
                String hash = tokenHash(entry, path);
                result.add(make.apply(id, hash));
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
            String path = "recurring.window";
            String hint = "use a duration such as 7d, 24h, 30m or ISO-8601 P7D";
            if (!node.isTextual()) {
                error(path, (node.isNumber() ? node.asText() + " has no unit" : "must be a string, not " + kind(node)) + ": " + hint);
                return null;
            }
            String text = node.textValue();
            Duration d = null;
            Matcher m = SHORT_WINDOW.matcher(text);
            if (m.matches()) {
                long n = Long.parseLong(m.group(1));
                d = switch (m.group(2)) {
                    case "d" -> Duration.ofDays(n);
                    case "h" -> Duration.ofHours(n);
                    default -> Duration.ofMinutes(n);
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
            if (d.isNegative() || d.isZero()) {
                error(path, quote(text) + " must be longer than zero");
                return null;
            }
            return d;
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
