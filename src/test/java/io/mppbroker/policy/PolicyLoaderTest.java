package io.mppbroker.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PolicyLoaderTest {
    static final String AGENT1 = "27b7d76f8b317b76f82ed682b23b9154de2c4e79d76f61c5729d64d858e567d7";
    static final String AGENT2 = "873505c785e56468ccf8242e27ab51e0198e2edfe4d9faff1a4d1e0ffb11e36e";
    static final String APPROVER = "9c813ae382267be23a0ab6fd30172000a31fc518127119a9646a5e3d90bb9cc0";

    static final String VALID = """
            project: research
            currency: usd
            agents:
              - id: research-agent-1
                token_sha256: "%s"
              - id: research-agent-2
                token_sha256: "%s"
            payment:
              stripe_payment_method: pm_card_visa
            budgets:
              per_task: "100.00"
              per_day: "300.00"
              per_month: "2000.00"
            tiers:
              auto_below: "10.00"
              explicit_above: "250.00"
              ceiling: "1000.00"
            sellers:
              default: allow
              deny: ["*.casino.example", "realm:casino", "profile_BadSeller1"]
            recurring:
              min_occurrences: 3
              window: 7d
              amount_tolerance: "0.10"
            approvers:
              - id: fin-approver-1
                token_sha256: "%s"
            """.formatted(AGENT1, AGENT2, APPROVER);

    @TempDir
    Path dir;

    @Test
    void validFileGivesExactValues() throws Exception {
        Path file = write("research.yaml", VALID);
        ProjectPolicy p = PolicyLoader.load(file);

        assertEquals("research", p.project());
        assertEquals("usd", p.currency());
        assertEquals(List.of(new AgentEntry("research-agent-1", AGENT1), new AgentEntry("research-agent-2", AGENT2)), p.agents());
        assertEquals("pm_card_visa", p.stripePaymentMethod());
        assertEquals(new Budgets(Optional.of(new BigDecimal("100.00")), Optional.of(new BigDecimal("300.00")),
                Optional.of(new BigDecimal("2000.00"))), p.budgets());
        assertEquals(new Tiers(new BigDecimal("10.00"), new BigDecimal("250.00"), new BigDecimal("1000.00")), p.tiers());
        assertEquals(SellerRules.Default.ALLOW, p.sellers().defaultRule());
        assertEquals(List.of(), p.sellers().allow());
        assertEquals(List.of(
                new SellerPattern(SellerPattern.Kind.HOST_SUFFIX, ".casino.example", "*.casino.example"),
                new SellerPattern(SellerPattern.Kind.REALM, "casino", "realm:casino"),
                new SellerPattern(SellerPattern.Kind.NETWORK_PROFILE, "profile_BadSeller1", "profile_BadSeller1")),
                p.sellers().deny());
        assertEquals(new RecurringRule(3, Duration.ofDays(7), new BigDecimal("0.10")), p.recurring());
        assertEquals(List.of(new ApproverEntry("fin-approver-1", APPROVER)), p.approvers());
        assertEquals(file, p.source());
        String expectedHash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        assertEquals(expectedHash, p.versionHash());
    }

    @Test
    void optionalSectionsTakeTheirDefaultsAndYmlIsAccepted() throws Exception {
        String yaml = VALID.replaceAll("(?s)budgets:.*?tiers:", "tiers:").replaceAll("(?s)recurring:.*?approvers:", "approvers:");
        ProjectPolicy p = PolicyLoader.load(write("research.yml", yaml));
        assertEquals(Budgets.NONE, p.budgets());
        assertEquals(new RecurringRule(3, Duration.ofDays(7), new BigDecimal("0.10")), p.recurring());
    }

    @Test
    void theShippedExamplePoliciesAreValid() throws Exception {
        ProjectPolicy research = PolicyLoader.load(Path.of("budgets/research.yaml"));
        assertEquals(new Tiers(new BigDecimal("10.00"), new BigDecimal("250.00"), new BigDecimal("1000.00")), research.tiers());
        assertEquals(Sha256.hex("agent-research-1-token"), research.agents().get(0).tokenSha256());
        ProjectPolicy marketing = PolicyLoader.load(Path.of("budgets/marketing.yaml"));
        assertEquals(SellerRules.Default.DENY, marketing.sellers().defaultRule());
        assertEquals(Sha256.hex("agent-marketing-1-token"), marketing.agents().get(0).tokenSha256());
    }

    @Test
    void unknownKeysAreNamedWithWhatIsAllowed() {
        List<String> errors = errors(VALID.replace("currency: usd", "currency: usd\ncolour: red")
                .replace("  per_day: \"300.00\"", "  per_week: \"300.00\""));
        assertEquals(List.of(
                f() + ": colour: unknown key (allowed here: project, currency, agents, payment, budgets, tiers, sellers, recurring, approvers, routing, grants, mode)",
                f() + ": budgets.per_week: unknown key (allowed here: per_task, per_day, per_month)"), errors);
    }

    @Test
    void grantsAreReadWithStableIds() throws Exception {
        ProjectPolicy p = PolicyLoader.load(write("research.yaml", VALID + """
                grants:
                  - service: aws
                    actions: [s3:GetObject]
                    resources: ["arn:aws:s3:::ledger-internal/*"]
                  - id: tools-grant
                    service: tools
                    actions: [Bash]
                    deny: ["rm -rf"]
                  - service: git
                    actions: [push]
                    resources: ["acme/billing-ledger"]
                    branches: ["feature/*"]
                """));
        assertEquals(List.of(
                new Grant("research#0", "aws", List.of("s3:GetObject"), List.of("arn:aws:s3:::ledger-internal/*"), null, null),
                new Grant("tools-grant", "tools", List.of("Bash"), null, null, List.of("rm -rf")),
                new Grant("research#2", "git", List.of("push"), List.of("acme/billing-ledger"), List.of("feature/*"), null)),
                p.grants());
        assertEquals(List.of(), PolicyLoader.load(write("research.yaml", VALID)).grants(), "no grants section: nothing granted");
    }

    @Test
    void grantErrorsAreNamed() {
        List<String> errors = errors(VALID + """
                grants:
                  - service: AWS
                    actions: []
                    resources: ["arn:aws:s3"]
                    colour: red
                  - id: dup
                    service: git
                    actions: [push]
                  - id: dup
                    service: git
                    actions: [read]
                    branches: [""]
                  - "tools"
                """);
        assertEquals(List.of(
                f() + ": grants[0].colour: unknown key (allowed here: id, service, actions, resources, branches, deny, expires)",
                f() + ": grants[0].service: \"AWS\" is not a service name (lowercase letters, digits, . _ -, e.g. aws, git, tools, stripe)",
                f() + ": grants[0].actions: must be a non-empty list of strings, not an empty list",
                f() + ": grants[0].resources[0]: \"arn:aws:s3\" is not a complete ARN (arn:partition:service:region:account:resource)",
                f() + ": grants[2].id: \"dup\" is used by another grant",
                f() + ": grants[2].branches[0]: must be a non-empty string, not an empty string",
                f() + ": grants[3]: must be a mapping with service and actions, not a string"), errors);
    }

    @Test
    void missingRequiredFieldsAreReported() {
        List<String> errors = errors(VALID.replace("currency: usd\n", "").replace("  ceiling: \"1000.00\"\n", "")
                .replace("payment:\n  stripe_payment_method: pm_card_visa\n", ""));
        assertEquals(List.of(
                f() + ": currency: is required",
                f() + ": payment: is required (a mapping with stripe_payment_method)",
                f() + ": tiers.ceiling: is required (a quoted decimal amount, e.g. \"100.00\")"), errors);
    }

    @Test
    void amountsWrittenAsYamlNumbersMustBeQuoted() {
        List<String> errors = errors(VALID.replace("per_task: \"100.00\"", "per_task: 100.1")
                .replace("per_day: \"300.00\"", "per_day: 300"));
        assertEquals(List.of(
                f() + ": budgets.per_task: 100.1 is a YAML number; write it as a quoted string (\"100.1\") so the value stays exact",
                f() + ": budgets.per_day: 300 is a YAML number; write it as a quoted string (\"300\") so the value stays exact"), errors);
    }

    @Test
    void nonDecimalNegativeAndTooPreciseAmountsAreRefused() {
        List<String> errors = errors(VALID.replace("per_task: \"100.00\"", "per_task: \"1,000.00\"")
                .replace("per_day: \"300.00\"", "per_day: \"-5.00\"")
                .replace("per_month: \"2000.00\"", "per_month: \"2000.001\""));
        assertEquals(List.of(
                f() + ": budgets.per_task: \"1,000.00\" is not a decimal number (digits with an optional '.' and decimals, e.g. \"100.00\")",
                f() + ": budgets.per_day: \"-5.00\" must not be negative",
                f() + ": budgets.per_month: \"2000.001\" has 3 decimal places; the currency has 2"), errors);
    }

    @Test
    void decimalPlacesFollowTheCurrency() {
        String jpy = VALID.replace("currency: usd", "currency: jpy").replace(".00\"", "\"");
        assertEquals(List.of(), errorsOrNone(jpy));
        assertEquals(List.of(f() + ": tiers.auto_below: \"10.5\" has 1 decimal places; the currency has 0"),
                errors(jpy.replace("auto_below: \"10\"", "auto_below: \"10.5\"")));
    }

    @Test
    void tiersMustBeOrdered() {
        List<String> errors = errors(VALID.replace("auto_below: \"10.00\"", "auto_below: \"300.00\"")
                .replace("ceiling: \"1000.00\"", "ceiling: \"200.00\""));
        assertEquals(List.of(
                f() + ": tiers.auto_below: 300.00 must not be greater than tiers.explicit_above 250.00",
                f() + ": tiers.explicit_above: 250.00 must not be greater than tiers.ceiling 200.00"), errors);
        // Equal thresholds are allowed: nothing is ever asked with auto_below == explicit_above.
        assertEquals(List.of(), errorsOrNone(VALID.replace("auto_below: \"10.00\"", "auto_below: \"250.00\"")));
    }

    @Test
    void tokenHashesMustBe64LowercaseHexAndAreNeverEchoed() {
        String pasted = "agent-research-1-token";
        List<String> errors = errors(VALID.replace(AGENT1, pasted).replace(AGENT2, AGENT2.toUpperCase()));
        assertEquals(List.of(
                f() + ": agents[0].token_sha256: must be 64 lowercase hex characters, the SHA-256 of the token "
                        + "(printf %s TOKEN | sha256sum); got 22 characters including non-hex ones",
                f() + ": agents[1].token_sha256: must be lowercase hex"), errors);
        assertTrue(errors.stream().noneMatch(e -> e.contains(pasted)));
    }

    @Test
    void duplicateIdsAndTokenHashesAreRefused() {
        List<String> errors = errors(VALID.replace("id: research-agent-2", "id: research-agent-1").replace(APPROVER, AGENT2));
        assertEquals(List.of(
                f() + ": agents[1].id: duplicate agent id \"research-agent-1\" (already agents[0].id)",
                f() + ": approvers[0].token_sha256: same token hash as agents[1]; an agent must never be able to approve its own payments"),
                errors);
        assertEquals(List.of(f() + ": agents[1].token_sha256: same token hash as agents[0]; every agent and approver needs its own token"),
                errors(VALID.replace(AGENT2, AGENT1)));
    }

    @Test
    void currencyMustBeAKnownLowercaseIsoCode() {
        assertEquals(List.of(f() + ": currency: unknown currency \"xyz\" (not an ISO 4217 code)"),
                errors(VALID.replace("currency: usd", "currency: xyz")));
        assertEquals(List.of(f() + ": currency: \"USD\" must be a lowercase three-letter ISO 4217 code, as in MPP requests (e.g. usd)"),
                errors(VALID.replace("currency: usd", "currency: USD")));
        assertEquals(List.of(f() + ": currency: xau has no minor unit and is not a payment currency"),
                errors(VALID.replace("currency: usd", "currency: xau")));
    }

    @Test
    void windowAcceptsShortFormsAndIso8601() throws Exception {
        for (var c : List.of(List.of("24h", Duration.ofHours(24)), List.of("30m", Duration.ofMinutes(30)),
                List.of("P7D", Duration.ofDays(7)), List.of("PT36H", Duration.ofHours(36)))) {
            Path file = write("research.yaml", VALID.replace("window: 7d", "window: " + c.get(0)));
            assertEquals(c.get(1), PolicyLoader.load(file).recurring().window(), String.valueOf(c.get(0)));
        }
        assertEquals(List.of(f() + ": recurring.window: \"7 days\" is not a duration: use a duration such as 7d, 24h, 30m or ISO-8601 P7D"),
                errors(VALID.replace("window: 7d", "window: 7 days")));
        assertEquals(List.of(f() + ": recurring.window: 7 has no unit: use a duration such as 7d, 24h, 30m or ISO-8601 P7D"),
                errors(VALID.replace("window: 7d", "window: 7")));
        assertEquals(List.of(f() + ": recurring.window: \"0d\" must be longer than zero"),
                errors(VALID.replace("window: 7d", "window: 0d")));
    }

    @Test
    void recurringRuleFieldsAreChecked() {
        List<String> errors = errors(VALID.replace("min_occurrences: 3", "min_occurrences: 1")
                .replace("amount_tolerance: \"0.10\"", "amount_tolerance: \"15%\""));
        assertEquals(List.of(
                f() + ": recurring.min_occurrences: must be at least 2, got 1",
                f() + ": recurring.amount_tolerance: \"15%\" is not a decimal number (digits with an optional '.' and decimals, e.g. \"0.10\")"),
                errors);
        assertEquals(List.of(f() + ": recurring.amount_tolerance: \"1.5\" must be between 0 and 1: it is a fraction of the amount (\"0.10\" = ±10%)"),
                errors(VALID.replace("amount_tolerance: \"0.10\"", "amount_tolerance: \"1.5\"")));
    }

    @Test
    void projectNameSyntaxAndFileName() throws IOException {
        assertEquals(List.of(f() + ": project: \"Research\" is not a valid project name: use 1 to 63 lowercase letters, digits and '-', starting with a letter or digit"),
                errors(VALID.replace("project: research", "project: Research")));
        Path other = write("marketing.yaml", VALID);
        PolicyValidationException e = assertThrows(PolicyValidationException.class, () -> PolicyLoader.load(other));
        assertEquals(List.of(other + ": project: \"research\" does not match the file name marketing.yaml (expected research.yaml or research.yml)"),
                e.errors());
    }

    @Test
    void sellerPatternsAreChecked() {
        List<String> errors = errors(VALID.replace("deny: [\"*.casino.example\", \"realm:casino\", \"profile_BadSeller1\"]",
                "allow: [\"api*.example.com\", \"https://x.example/\", \"x.example:443\", \"profile_\"]"));
        assertEquals(List.of(
                f() + ": sellers.allow[0]: \"api*.example.com\": '*' is only allowed as the whole leftmost label, e.g. *.example.com",
                f() + ": sellers.allow[1]: \"https://x.example/\": write a host name, not a URL",
                f() + ": sellers.allow[2]: \"x.example:443\": write the host without a port (ports are ignored when matching)",
                f() + ": sellers.allow[3]: \"profile_\" is not a Stripe network profile id (profile_ followed by letters and digits)"),
                errors);
        assertEquals(List.of(f() + ": sellers.default: must be allow or deny, not \"block\""),
                errors(VALID.replace("default: allow", "default: block")));
        assertEquals(List.of(f() + ": sellers.default: must be allow or deny, not true/false"),
                errors(VALID.replace("default: allow", "default: no")));
    }

    @Test
    void allErrorsOfAFileAreCollectedInFileOrder() {
        String broken = VALID.replace("project: research", "project: research\nowner: bob")
                .replace("per_task: \"100.00\"", "per_task: 100.10")
                .replace("ceiling: \"1000.00\"", "ceiling: \"100.00\"")
                .replace("stripe_payment_method: pm_card_visa", "stripe_payment_method: card_visa")
                .replace(APPROVER, "abc");
        assertEquals(List.of(
                f() + ": owner: unknown key (allowed here: project, currency, agents, payment, budgets, tiers, sellers, recurring, approvers, routing, grants, mode)",
                f() + ": payment.stripe_payment_method: \"card_visa\" is not a Stripe PaymentMethod id (pm_...)",
                f() + ": budgets.per_task: 100.10 is a YAML number; write it as a quoted string (\"100.10\") so the value stays exact",
                f() + ": tiers.explicit_above: 250.00 must not be greater than tiers.ceiling 100.00",
                f() + ": approvers[0].token_sha256: must be 64 lowercase hex characters, the SHA-256 of the token "
                        + "(printf %s TOKEN | sha256sum); got 3 characters"), errors(broken));
    }

    @Test
    void agentsAndApproversMustBeNonEmptyListsOfMappings() {
        List<String> errors = errors(VALID.replaceAll("(?s)agents:.*?payment:", "agents: []\npayment:")
                .replaceAll("(?s)approvers:.*", "approvers:\n  - fin-approver-1\n"));
        assertEquals(List.of(
                f() + ": agents: must list at least one agent",
                f() + ": approvers[0]: must be a mapping with id and token_sha256, not a string"), errors);
    }

    @Test
    void yamlLevelProblems() {
        assertEquals(List.of(f() + ": (file): is empty"), errors("# nothing here\n"));
        assertEquals(List.of(f() + ": (file): must be a mapping of policy fields (project, currency, agents, ...), not a list"),
                errors("- project: research\n"));
        assertEquals(List.of(f() + ": (file): holds more than one YAML document; write one policy per file"),
                errors(VALID + "---\n" + VALID));
        List<String> dup = errors(VALID.replace("currency: usd", "currency: usd\ncurrency: eur"));
        assertEquals(1, dup.size(), dup.toString());
        assertTrue(dup.get(0).startsWith(f() + ": line 3, column "), dup.get(0));
        assertTrue(dup.get(0).contains("is not valid YAML: Duplicate field 'currency'"), dup.get(0));
        List<String> syntax = errors("project: research\ntiers: [\n");
        assertEquals(1, syntax.size(), syntax.toString());
        assertTrue(syntax.get(0).startsWith(f() + ": line "), syntax.get(0));
        assertTrue(syntax.get(0).contains("is not valid YAML"), syntax.get(0));
    }

    @Test
    void exceptionMessageListsEveryError() {
        PolicyValidationException e = assertThrows(PolicyValidationException.class,
                () -> PolicyLoader.load(write("research.yaml", VALID.replace("currency: usd\n", "").replace("default: allow", "default: x"))));
        assertEquals(2, e.errors().size());
        assertTrue(e.getMessage().startsWith("2 errors in " + f() + ":\n  "), e.getMessage());
        assertFalse(e.getMessage().contains("null"));
    }

    @Test
    void modeIsEnforceUnlessTheFileSaysObserve() throws Exception {
        assertEquals(PolicyMode.ENFORCE, PolicyLoader.load(write("research.yaml", VALID)).mode());
        assertEquals(PolicyMode.ENFORCE, PolicyLoader.load(write("research.yaml", VALID + "mode: enforce\n")).mode());
        ProjectPolicy observing = PolicyLoader.load(write("research.yaml", VALID + "mode: observe\n"));
        assertEquals(PolicyMode.OBSERVE, observing.mode());
        assertTrue(observing.observes());
    }

    @Test
    void anUnknownModeIsAnError() {
        assertEquals(List.of(f() + ": mode: must be enforce or observe, not \"watch\""), errors(VALID + "mode: watch\n"));
        assertEquals(List.of(f() + ": mode: must be enforce or observe, not an empty value (remove the key to enforce the policy)"),
                errors(VALID + "mode:\n"));
        assertEquals(List.of(f() + ": mode: must be enforce or observe, not true/false"), errors(VALID + "mode: on\n"));
    }

    @Test
    void aCandidateMayHaveAnyFileNameButIsOtherwiseValidatedTheSame() throws Exception {
        Path candidate = write("research.candidate.yaml", VALID);
        assertEquals("research", PolicyLoader.loadCandidate(candidate).project());
        PolicyValidationException strict = assertThrows(PolicyValidationException.class, () -> PolicyLoader.load(candidate));
        assertTrue(strict.errors().get(0).contains("does not match the file name research.candidate.yaml"), strict.errors().toString());
        PolicyValidationException invalid = assertThrows(PolicyValidationException.class,
                () -> PolicyLoader.loadCandidate(write("research.candidate.yaml", VALID.replace("\"10.00\"", "10.5"))));
        assertEquals(List.of(candidate + ": tiers.auto_below: 10.5 is a YAML number; write it as a quoted string (\"10.5\")"
                + " so the value stays exact"), invalid.errors());
    }

    // ---- helpers ---------------------------------------------------------------------------------

    @Test
    void anOwnerWhoseAgentsRequestsNoOneElseCanApproveIsRefused() {
        String twoApprovers = VALID.replace("    token_sha256: \"%s\"\n".formatted(AGENT2),
                        "    token_sha256: \"%s\"\n    owner: fin-approver-1\n".formatted(AGENT2))
                + "  - id: fin-approver-2\n    token_sha256: \"" + "ab".repeat(32) + "\"\n";
        String payments = """
                routing:
                  default:
                    routes:
                      - approvers: [fin-approver-1, fin-approver-2]
                """;
        assertEquals(List.of(), errorsOrNone(twoApprovers + payments), "fin-approver-2 can approve for the owner");

        // Access requests routed to the owner alone: research-agent-2's could never be approved.
        assertEquals(List.of(f() + ": agents[1].owner: \"fin-approver-1\" owns research-agent-2 and routing.owner_cannot_approve"
                + " is true, so routing.access can never approve its access requests: it needs 1 approval and reaches only"
                + " 0 other approvers"), errors(twoApprovers + payments + """
                  access:
                    routes:
                      - approvers: [fin-approver-1]
                """));
        // Without routing.access they follow the ask tier's routing: refused once, under that section.
        assertEquals(List.of(f() + ": agents[1].owner: \"fin-approver-1\" owns research-agent-2 and routing.owner_cannot_approve"
                + " is true, so routing.ask can never approve its payments: it needs 1 approval and reaches only"
                + " 0 other approvers"), errors(twoApprovers + payments + """
                  ask:
                    routes:
                      - approvers: [fin-approver-1]
                """));
        // The same file is fine when the owner may approve.
        assertEquals(List.of(), errorsOrNone(twoApprovers + payments + """
                  owner_cannot_approve: false
                  access:
                    routes:
                      - approvers: [fin-approver-1]
                """));
    }

    private String f() {
        return dir.resolve("research.yaml").toString();
    }

    private Path write(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content, StandardCharsets.UTF_8);
    }

    private List<String> errors(String yaml) {
        List<String> errors = errorsOrNone(yaml);
        assertFalse(errors.isEmpty(), "expected the policy to be refused");
        return errors;
    }

    private List<String> errorsOrNone(String yaml) {
        try {
            PolicyLoader.load(write("research.yaml", yaml));
            return List.of();
        } catch (PolicyValidationException e) {
            return e.errors();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
