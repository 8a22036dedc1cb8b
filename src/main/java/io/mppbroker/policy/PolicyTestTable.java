package io.mppbroker.policy;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Table-driven policy tests, in the spirit of {@code opa test}: a YAML file names a policy and lists payments
 * with the verdict each must get. See docs/policy.md ("Testing policies"). Reading is strict like
 * {@link PolicyLoader}: unknown keys are errors, amounts are quoted decimal strings, every problem is reported
 * at once as {@code "<file>: <field>: <what>"}.
 */
public final class PolicyTestTable {

    private static final Set<String> ROOT_KEYS = keys("policy", "cases");
    private static final Set<String> CASE_KEYS = keys("name", "payment", "expect");
    private static final Set<String> PAYMENT_KEYS = keys("amount", "currency", "seller", "realm", "network_profile",
            "task", "spent_task", "spent_day", "spent_month", "similar_recent_payments", "method", "intent");
    private static final Set<String> EXPECT_KEYS = keys("tier", "rule", "reason_contains");
    private static final Pattern DECIMAL = Pattern.compile("[0-9]+(\\.[0-9]+)?");

    private static final YAMLMapper YAML = YAMLMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
            .build();

    /** A tests file: the policy file it tests (resolved) and its cases in order. */
    public record Table(Path file, Path policy, List<Case> cases) {
        public Table {
            cases = List.copyOf(cases);
        }
    }

    public record Case(String name, TestPayment payment, Expectation expect) {}

    /**
     * The payment of one case. Left out: {@code currency} is the policy's, {@code realm} the seller host,
     * {@code task} "t-test", spent amounts 0, {@code similar_recent_payments} 0, method stripe, intent charge.
     */
    public record TestPayment(BigDecimal amount, Optional<String> currency, String seller, Optional<String> realm,
                              Optional<String> networkProfile, String task, BigDecimal spentTask, BigDecimal spentDay,
                              BigDecimal spentMonth, int similarRecentPayments, String method, String intent) {

        public PaymentFacts facts(ProjectPolicy policy) {
            return new PaymentFacts(method, intent, amount, currency.orElse(policy.currency()), seller,
                    realm.orElse(seller), networkProfile, task, spentTask, spentDay, spentMonth, similarRecentPayments);
        }
    }

    /** The verdict a case must get: the tier always, the rule and a piece of the reason when given. */
    public record Expectation(Tier tier, Optional<String> rule, Optional<String> reasonContains) {

        /** Why {@code actual} does not meet this expectation; empty when it does. */
        public Optional<String> mismatch(Verdict actual) {
            List<String> wrong = new ArrayList<>();
            if (actual.tier() != tier) wrong.add("tier " + tierText(tier));
            rule.filter(r -> !r.equals(actual.rule())).ifPresent(r -> wrong.add("rule " + r));
            reasonContains.filter(r -> !actual.reason().contains(r)).ifPresent(r -> wrong.add("a reason containing \"" + r + "\""));
            return wrong.isEmpty() ? Optional.empty() : Optional.of("expected " + String.join(", ", wrong));
        }
    }

    /** One case's outcome. */
    public record Result(Case testCase, Verdict actual, Optional<String> failure) {
        public boolean passed() {
            return failure.isEmpty();
        }
    }

    private PolicyTestTable() {}

    /**
     * Reads a tests file. {@code policy:} is a path relative to {@code policyDir} when given, else to the tests
     * file's directory; a bare project name ({@code research}) means {@code research.yaml} (or {@code .yml}) there.
     */
    public static Table read(Path file, Optional<Path> policyDir) throws PolicyValidationException {
        byte[] bytes;
        try {
            if (Files.size(file) > PolicyLoader.MAX_FILE_BYTES) {
                throw new PolicyValidationException(file, List.of(file + ": (file): is larger than " + PolicyLoader.MAX_FILE_BYTES + " bytes"));
            }
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new PolicyValidationException(file, List.of(file + ": (file): cannot be read: " + e));
        }
        return new Reader(file, policyDir).read(bytes);
    }

    /** Evaluates every case against {@code policy} (without overlays; the policy's mode does not matter). */
    public static List<Result> run(ProjectPolicy policy, List<Case> cases) {
        List<Result> results = new ArrayList<>();
        for (Case c : cases) {
            Verdict actual = PaymentPolicy.evaluate(policy, c.payment().facts(policy));
            results.add(new Result(c, actual, c.expect().mismatch(actual)));
        }
        return results;
    }

    /** Tiers as written in tests files and shown in the API: {@code auto}, {@code over_budget}. */
    public static String tierText(Tier t) {
        return t.name().toLowerCase(Locale.ROOT);
    }

    private static Set<String> keys(String... names) {
        return new LinkedHashSet<>(List.of(names));
    }

    private static final class Reader {
        private final Path file;
        private final Optional<Path> policyDir;
        private final List<String> errors = new ArrayList<>();

        Reader(Path file, Optional<Path> policyDir) {
            this.file = file;
            this.policyDir = policyDir;
        }

        Table read(byte[] bytes) throws PolicyValidationException {
            JsonNode root;
            try {
                root = YAML.readTree(bytes);
            } catch (JsonProcessingException e) {
                JsonLocation at = e.getLocation();
                error(at == null ? "(file)" : "line " + at.getLineNr() + ", column " + at.getColumnNr(),
                        "is not valid YAML: " + e.getOriginalMessage().replaceAll("\\s+", " ").trim());
                throw failure();
            } catch (IOException e) {
                error("(file)", "cannot be parsed: " + e.getMessage());
                throw failure();
            }
            if (root == null || root.isMissingNode() || root.isNull() || !root.isObject()) {
                error("(file)", "must be a mapping with policy and cases");
                throw failure();
            }
            checkKeys(root, "", ROOT_KEYS);
            Path policy = policy(root);
            List<Case> cases = cases(root);
            if (!errors.isEmpty()) throw failure();
            return new Table(file, policy, cases);
        }

        private Path policy(JsonNode root) {
            String value = string(root, "", "policy", true);
            if (value == null) return null;
            Path base = policyDir.orElseGet(() -> file.toAbsolutePath().getParent());
            Path named = base.resolve(value).normalize();
            if (!value.contains("/") && !value.endsWith(".yaml") && !value.endsWith(".yml")) {
                // A project name: its file in the directory.
                Path yml = base.resolve(value + ".yml");
                named = Files.exists(yml) && !Files.exists(base.resolve(value + ".yaml")) ? yml : base.resolve(value + ".yaml");
            }
            if (!Files.isRegularFile(named)) {
                error("policy", "no policy file " + named + (policyDir.isPresent() ? " (resolved against --policy-dir)"
                        : " (resolved against the tests file's directory)"));
                return null;
            }
            return named;
        }

        private List<Case> cases(JsonNode root) {
            List<Case> result = new ArrayList<>();
            JsonNode list = root.get("cases");
            if (list == null || !list.isArray() || list.isEmpty()) {
                error("cases", list == null ? "is required (a list of - name, payment, expect)" : "must be a non-empty list of cases");
                return result;
            }
            Set<String> names = new HashSet<>();
            for (int i = 0; i < list.size(); i++) {
                String path = "cases[" + i + "]";
                JsonNode c = list.get(i);
                if (!c.isObject()) {
                    error(path, "must be a mapping with name, payment and expect");
                    continue;
                }
                int before = errors.size();
                checkKeys(c, path, CASE_KEYS);
                String name = string(c, path, "name", true);
                if (name != null && !names.add(name)) error(path + ".name", "duplicate case name \"" + name + "\"");
                TestPayment payment = payment(mapping(c, path, "payment"), path + ".payment");
                Expectation expect = expectation(mapping(c, path, "expect"), path + ".expect");
                if (errors.size() == before) result.add(new Case(name, payment, expect));
            }
            return result;
        }

        private TestPayment payment(JsonNode p, String path) {
            if (p == null) return null;
            checkKeys(p, path, PAYMENT_KEYS);
            BigDecimal amount = amount(p, path, "amount", null);
            String seller = string(p, path, "seller", true);
            int similar = 0;
            JsonNode s = p.get("similar_recent_payments");
            if (s != null) {
                if (!s.isIntegralNumber() || !s.canConvertToInt() || s.intValue() < 0) {
                    error(path + ".similar_recent_payments", "must be a whole number of at least 0");
                } else {
                    similar = s.intValue();
                }
            }
            Optional<String> currency = Optional.ofNullable(string(p, path, "currency", false)).map(c -> c.toLowerCase(Locale.ROOT));
            String task = Objects.requireNonNullElse(string(p, path, "task", false), "t-test");
            if (amount == null || seller == null) return null;
            return new TestPayment(amount, currency, seller, Optional.ofNullable(string(p, path, "realm", false)),
                    Optional.ofNullable(string(p, path, "network_profile", false)), task,
                    amount(p, path, "spent_task", BigDecimal.ZERO), amount(p, path, "spent_day", BigDecimal.ZERO),
                    amount(p, path, "spent_month", BigDecimal.ZERO), similar,
                    Objects.requireNonNullElse(string(p, path, "method", false), PaymentPolicy.METHOD),
                    Objects.requireNonNullElse(string(p, path, "intent", false), PaymentPolicy.INTENT));
        }

        private Expectation expectation(JsonNode e, String path) {
            if (e == null) return null;
            checkKeys(e, path, EXPECT_KEYS);
            String tier = string(e, path, "tier", true);
            Tier parsed = null;
            if (tier != null) {
                for (Tier t : Tier.values()) if (tierText(t).equals(tier)) parsed = t;
                if (parsed == null) {
                    error(path + ".tier", "\"" + tier + "\" is not a tier (auto, ask, explicit, recurring, over_budget, deny)");
                }
            }
            return parsed == null ? null : new Expectation(parsed, Optional.ofNullable(string(e, path, "rule", false)),
                    Optional.ofNullable(string(e, path, "reason_contains", false)));
        }

        private JsonNode mapping(JsonNode parent, String path, String key) {
            JsonNode node = parent.get(key);
            if (node == null || !node.isObject()) {
                error(path + "." + key, node == null ? "is required" : "must be a mapping");
                return null;
            }
            return node;
        }

        private String string(JsonNode parent, String path, String key, boolean required) {
            JsonNode node = parent.get(key);
            String field = path.isEmpty() ? key : path + "." + key;
            if (node == null) {
                if (required) error(field, "is required");
                return null;
            }
            if (!node.isTextual() || node.textValue().isBlank()) {
                error(field, "must be a non-empty string");
                return null;
            }
            return node.textValue();
        }

        /** A quoted decimal, as in policy files (YAML numbers are refused so no float sneaks in). */
        private BigDecimal amount(JsonNode parent, String path, String key, BigDecimal absent) {
            JsonNode node = parent.get(key);
            String field = path + "." + key;
            if (node == null) {
                if (absent == null) error(field, "is required (a quoted decimal amount, e.g. \"5.00\")");
                return absent;
            }
            if (node.isNumber()) {
                String written = node.isBigDecimal() ? node.decimalValue().toPlainString() : node.asText();
                error(field, written + " is a YAML number; write it as a quoted string (\"" + written + "\") so the value stays exact");
                return absent;
            }
            if (!node.isTextual() || !DECIMAL.matcher(node.textValue()).matches()) {
                error(field, "must be a quoted decimal amount such as \"5.00\"");
                return absent;
            }
            return new BigDecimal(node.textValue());
        }

        private void checkKeys(JsonNode node, String path, Set<String> allowed) {
            for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
                String key = it.next();
                if (!allowed.contains(key)) {
                    error(path.isEmpty() ? key : path + "." + key, "unknown key (allowed here: " + String.join(", ", allowed) + ")");
                }
            }
        }

        private void error(String field, String what) {
            errors.add(file + ": " + field + ": " + what);
        }

        private PolicyValidationException failure() {
            return new PolicyValidationException(file, errors);
        }
    }
}
