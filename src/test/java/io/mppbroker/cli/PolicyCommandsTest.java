package io.mppbroker.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code policy validate} and {@code policy test} as a team's CI runs them: exit codes and what they print. */
class PolicyCommandsTest {

    static final String AGENT = "27b7d76f8b317b76f82ed682b23b9154de2c4e79d76f61c5729d64d858e567d7";
    static final String APPROVER = "9c813ae382267be23a0ab6fd30172000a31fc518127119a9646a5e3d90bb9cc0";

    static String policy(String project, String agentHash) {
        return """
                project: %s
                currency: usd
                agents:
                  - id: agent-1
                    token_sha256: "%s"
                payment:
                  stripe_payment_method: pm_card_visa
                budgets:
                  per_task: "100.00"
                tiers:
                  auto_below: "10.00"
                  explicit_above: "250.00"
                  ceiling: "1000.00"
                sellers:
                  default: allow
                  deny: ["*.casino.example"]
                approvers:
                  - id: fin-approver-1
                    token_sha256: "%s"
                """.formatted(project, agentHash, APPROVER);
    }

    @TempDir
    Path dir;
    final StringWriter out = new StringWriter();
    final StringWriter err = new StringWriter();

    int run(String... args) {
        return BrokerCli.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    List<String> outLines() {
        return out.toString().lines().toList();
    }

    Path write(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content);
    }

    // ---- policy validate ------------------------------------------------------------------------

    @Test
    void aValidFileExitsZero() throws IOException {
        Path file = write("research.yaml", policy("research", AGENT) + "mode: observe\n");
        assertEquals(0, run("policy", "validate", file.toString()), err.toString());
        assertTrue(outLines().get(0).startsWith("OK: " + file + " (project research, mode observe, version "), out.toString());
        assertEquals("valid", outLines().get(1));
    }

    @Test
    void everyErrorIsPrintedAsFileFieldWhatAndExitsOne() throws IOException {
        Path file = write("research.yaml", policy("research", AGENT)
                .replace("per_task: \"100.00\"", "per_task: 100.1")
                .replace("default: allow", "default: maybe") + "mode: watch\n");
        assertEquals(1, run("policy", "validate", file.toString()));
        assertEquals(List.of(
                file + ": budgets.per_task: 100.1 is a YAML number; write it as a quoted string (\"100.1\") so the value stays exact",
                file + ": sellers.default: must be allow or deny, not \"maybe\"",
                file + ": mode: must be enforce or observe, not \"watch\"",
                "1 of 1 policy file invalid (3 errors)"), outLines());
    }

    @Test
    void theExampleBudgetsDirectoryIsValidAndItsTestTableIsNotTakenForAPolicy() {
        Path budgets = Path.of("budgets"); // surefire runs in the project directory
        assertEquals(0, run("policy", "validate", budgets.toString()), out + err.toString());
        assertEquals(List.of("OK: " + budgets.resolve("marketing.yaml"), "OK: " + budgets.resolve("project-billing.yaml"),
                        "OK: " + budgets.resolve("research.yaml"), "all 3 policy files are valid"),
                outLines().stream().map(l -> l.replaceAll(" \\(project.*", "")).toList());
    }

    @Test
    void aDirectoryIsCheckedAsTheBrokerLoadsIt() throws IOException {
        write("alpha.yaml", policy("alpha", AGENT));
        Path beta = write("beta.yaml", policy("beta", AGENT));
        assertEquals(1, run("policy", "validate", dir.toString()));
        assertTrue(out.toString().contains(beta + ": agents[0].token_sha256: token hash is already used by agent agent-1 of project alpha"),
                out.toString());
        assertTrue(out.toString().endsWith("1 of 2 policy files invalid (1 error)\n"), out.toString());
    }

    @Test
    void aMissingPathIsAUsageError() {
        assertEquals(2, run("policy", "validate", dir.resolve("nope.yaml").toString()));
        assertEquals("no such file or directory: " + dir.resolve("nope.yaml") + "\n", err.toString());
    }

    // ---- policy test ----------------------------------------------------------------------------

    @Test
    void theShippedExampleTestsPass() {
        Path tests = Path.of("budgets/research.test.yaml");
        assertEquals(0, run("policy", "test", tests.toString()), out.toString() + err);
        List<String> lines = outLines();
        assertEquals(11, lines.size(), out.toString());
        assertTrue(lines.get(0).startsWith(tests + ": policy " + Path.of("budgets/research.yaml").toAbsolutePath()), lines.get(0));
        assertEquals("PASS small purchase is automatic: auto (tiers.auto_below): amount 5.00 usd is below auto_below 10.00",
                lines.get(1));
        assertEquals("9 cases: 9 passed, 0 failed", lines.get(10));
    }

    @Test
    void aFailingCasePrintsWhatWasExpectedAndTheActualVerdictAndExitsOne() throws IOException {
        write("research.yaml", policy("research", AGENT));
        Path tests = write("research.test.yaml", """
                policy: research.yaml
                cases:
                  - name: small purchase is automatic
                    payment: {amount: "5.00", currency: usd, seller: api.data.example, task: t-1, spent_task: "0.00"}
                    expect: {tier: auto, rule: tiers.auto_below}
                  - name: over the task budget asks
                    payment: {amount: "95.00", currency: usd, seller: api.data.example, task: t-1, spent_task: "10.00"}
                    expect: {tier: over_budget}
                  - name: wrong on purpose
                    payment: {amount: "50.00", seller: api.data.example}
                    expect: {tier: auto, reason_contains: "is below"}
                """);
        assertEquals(1, run("policy", "test", tests.toString()));
        List<String> lines = outLines();
        assertEquals("PASS small purchase is automatic: auto (tiers.auto_below): amount 5.00 usd is below auto_below 10.00", lines.get(1));
        assertEquals("PASS over the task budget asks: over_budget (budgets.per_task): task t-1 would spend 105.00 of 100.00 usd"
                + " (10.00 spent + 95.00 now)", lines.get(2));
        assertEquals("FAIL wrong on purpose: expected tier auto, a reason containing \"is below\"; got ask (tiers.auto_below):"
                + " amount 50.00 usd is not below auto_below 10.00: one approver decides", lines.get(3));
        assertEquals("3 cases: 2 passed, 1 failed", lines.get(4));
    }

    @Test
    void policyDirResolvesAProjectName() throws IOException {
        Path policies = Files.createDirectory(dir.resolve("budgets"));
        Files.writeString(policies.resolve("research.yaml"), policy("research", AGENT));
        Path tests = write("research.test.yaml", """
                policy: research
                cases:
                  - name: casino is denied
                    payment: {amount: "1.00", seller: slots.casino.example}
                    expect: {tier: deny, rule: sellers.deny, reason_contains: "*.casino.example"}
                """);
        assertEquals(0, run("policy", "test", tests.toString(), "--policy-dir", policies.toString()), out.toString() + err);
        assertTrue(out.toString().contains("PASS casino is denied: deny (sellers.deny)"), out.toString());
    }

    @Test
    void anUnusableTestsFileListsEveryProblemAndExitsTwo() throws IOException {
        write("research.yaml", policy("research", AGENT));
        Path tests = write("bad.test.yaml", """
                policy: research.yaml
                cases:
                  - name: numbers are not exact
                    payment: {amount: 5.10, seller: api.data.example, colour: red}
                    expect: {tier: automatic}
                  - name: no payment
                    expect: {tier: auto}
                """);
        assertEquals(2, run("policy", "test", tests.toString()));
        assertEquals(List.of(
                tests + ": cases[0].payment.colour: unknown key (allowed here: amount, currency, seller, realm, network_profile,"
                        + " task, spent_task, spent_day, spent_month, similar_recent_payments, method, intent)",
                tests + ": cases[0].payment.amount: 5.10 is a YAML number; write it as a quoted string (\"5.10\") so the value stays exact",
                tests + ": cases[0].expect.tier: \"automatic\" is not a tier (auto, ask, explicit, recurring, over_budget, deny)",
                tests + ": cases[1].payment: is required"), err.toString().lines().toList());
    }

    @Test
    void anInvalidPolicyFailsTheTestsWithItsErrors() throws IOException {
        Path policy = write("research.yaml", policy("research", AGENT).replace("ceiling: \"1000.00\"", "ceiling: \"100.00\""));
        Path tests = write("research.test.yaml", """
                policy: research.yaml
                cases:
                  - name: anything
                    payment: {amount: "1.00", seller: a.example}
                    expect: {tier: auto}
                """);
        assertEquals(1, run("policy", "test", tests.toString()));
        assertEquals(List.of(policy + ": tiers.explicit_above: 250.00 must not be greater than tiers.ceiling 100.00",
                "FAIL: the policy " + policy + " is invalid; no case was run"), outLines());
    }
}
