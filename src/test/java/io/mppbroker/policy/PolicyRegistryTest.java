package io.mppbroker.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PolicyRegistryTest {
    static final String RESEARCH_AGENT = "agent-research-1-token";
    static final String FIN_APPROVER = "approver-fin-1-token";

    @TempDir
    Path dir;

    private final LogCapture logs = new LogCapture();
    private PolicyRegistry registry;

    @BeforeEach
    void setUp() {
        Logger.getLogger(PolicyRegistry.class.getName()).addHandler(logs);
        registry = new PolicyRegistry(config(dir));
    }

    @AfterEach
    void tearDown() {
        Logger.getLogger(PolicyRegistry.class.getName()).removeHandler(logs);
    }

    @Test
    void loadsEveryProjectAndResolvesTokens() throws IOException {
        write("research.yaml", policy("research", "10.00", "agent-research-1-token", "approver-fin-1-token"));
        write("marketing.yml", policy("marketing", "5.00", "agent-marketing-1-token", "approver-fin-1-token"));
        write("notes.txt", "not a policy");

        ReloadReport report = registry.reloadNow();

        assertEquals(List.of("marketing", "research"), report.loaded());
        assertEquals(List.of("marketing", "research"), registry.all().stream().map(ProjectPolicy::project).toList());
        assertEquals(new BigDecimal("10.00"), registry.project("research").orElseThrow().tiers().autoBelow());
        assertEquals(Optional.empty(), registry.project("notes"));
        assertEquals(Optional.of(new AgentIdentity("agent-1", "research")), registry.agentByToken(RESEARCH_AGENT));
        assertEquals(Optional.of(new AgentIdentity("agent-1", "marketing")), registry.agentByToken("agent-marketing-1-token"));
        assertEquals(Optional.empty(), registry.agentByToken("agent-research-1-tokenX"));
        assertEquals(Optional.empty(), registry.agentByToken(""));
        assertEquals(Optional.empty(), registry.agentByToken(null));
        // The same approver (id and token) serves both projects; an approver token is not an agent token.
        ApproverIdentity approver = registry.approverByToken(FIN_APPROVER).orElseThrow();
        assertEquals("approver-1", approver.approverId());
        assertEquals(Set.of("research", "marketing"), approver.projects());
        assertTrue(approver.mayApprove("research"));
        assertFalse(approver.mayApprove("sales"));
        assertEquals(Optional.empty(), registry.agentByToken(FIN_APPROVER));
        assertEquals(Optional.empty(), registry.approverByToken(RESEARCH_AGENT));
        String version = registry.project("research").orElseThrow().versionHash().substring(0, 12);
        assertTrue(logs.has(Level.INFO, "policy loaded for research from " + dir.resolve("research.yaml") + " (version " + version + ")"),
                logs.toString());
    }

    @Test
    void policyTestTablesBesideThePoliciesAreNotLoaded() throws IOException {
        write("research.yaml", policy("research", "10.00", RESEARCH_AGENT, FIN_APPROVER));
        write("research.test.yaml", "policy: research.yaml\ncases: []\n");
        write("marketing.test.yml", "policy: marketing.yml\ncases: []\n");

        ReloadReport report = registry.reloadNow();

        assertEquals(List.of("research"), report.loaded());
        assertEquals(Map.of(), report.rejected());
        assertFalse(PolicyRegistry.isPolicyFileName("research.test.yaml"));
        assertTrue(PolicyRegistry.isPolicyFileName("research.yaml"));
        assertFalse(PolicyRegistry.isPolicyFileName(".research.yaml"));
    }

    @Test
    void aChangedFileIsReloadedAndLogged() throws IOException {
        write("research.yaml", policy("research", "10.00", RESEARCH_AGENT, FIN_APPROVER));
        registry.reloadNow();
        String before = registry.project("research").orElseThrow().versionHash();

        assertFalse(registry.reloadNow().changed(), "an unchanged file is not reloaded");
        write("research.yaml", policy("research", "20.00", RESEARCH_AGENT, FIN_APPROVER));
        ReloadReport report = registry.reloadNow();

        assertEquals(List.of("research"), report.reloaded());
        ProjectPolicy after = registry.project("research").orElseThrow();
        assertEquals(new BigDecimal("20.00"), after.tiers().autoBelow());
        assertEquals(Sha256.hex(Files.readAllBytes(dir.resolve("research.yaml"))), after.versionHash());
        assertTrue(logs.has(Level.INFO, "policy reloaded for research from " + dir.resolve("research.yaml")
                + " (version " + before.substring(0, 12) + " -> " + after.versionHash().substring(0, 12) + ")"), logs.toString());
    }

    @Test
    void anInvalidChangeKeepsServingTheLastValidVersion() throws IOException {
        write("research.yaml", policy("research", "10.00", RESEARCH_AGENT, FIN_APPROVER));
        registry.reloadNow();
        ProjectPolicy valid = registry.project("research").orElseThrow();

        Path file = write("research.yaml", policy("research", "10.00", RESEARCH_AGENT, FIN_APPROVER)
                .replace("ceiling: \"1000.00\"", "ceiling: 1000.5").replace("currency: usd", "currency: usdx"));
        ReloadReport report = registry.reloadNow();

        assertEquals(valid, registry.project("research").orElseThrow());
        assertEquals(Optional.of(new AgentIdentity("agent-1", "research")), registry.agentByToken(RESEARCH_AGENT));
        List<String> expected = List.of(
                file + ": currency: \"usdx\" must be a lowercase three-letter ISO 4217 code, as in MPP requests (e.g. usd)",
                file + ": tiers.ceiling: 1000.5 is a YAML number; write it as a quoted string (\"1000.5\") so the value stays exact");
        assertEquals(Map.of(file, expected), report.rejected());
        assertEquals(Map.of(file, expected), registry.problems());
        List<String> errors = logs.messages(Level.SEVERE);
        assertEquals(1, errors.size(), errors.toString());
        assertEquals("policy file " + file + " rejected (2 errors); still serving the last valid version of project research (version "
                + valid.versionHash().substring(0, 12) + "):\n  " + String.join("\n  ", expected), errors.get(0));

        registry.reloadNow();
        assertEquals(1, logs.messages(Level.SEVERE).size(), "the same problem is logged once, not on every poll");

        write("research.yaml", policy("research", "15.00", RESEARCH_AGENT, FIN_APPROVER));
        assertEquals(List.of("research"), registry.reloadNow().reloaded());
        assertEquals(new BigDecimal("15.00"), registry.project("research").orElseThrow().tiers().autoBelow());
        assertEquals(Map.of(), registry.problems());
    }

    @Test
    void anInvalidNewFileIsNotLoaded() throws IOException {
        write("research.yaml", "project: research\n");
        ReloadReport report = registry.reloadNow();
        assertEquals(List.of(), report.loaded());
        assertEquals(Optional.empty(), registry.project("research"));
        assertTrue(logs.messages(Level.SEVERE).get(0).startsWith("policy file " + dir.resolve("research.yaml") + " rejected ("));
    }

    @Test
    void aDeletedFileRemovesItsProject() throws IOException {
        Path file = write("research.yaml", policy("research", "10.00", RESEARCH_AGENT, FIN_APPROVER));
        registry.reloadNow();
        Files.delete(file);

        ReloadReport report = registry.reloadNow();

        assertEquals(List.of("research"), report.removed());
        assertEquals(Optional.empty(), registry.project("research"));
        assertEquals(Optional.empty(), registry.agentByToken(RESEARCH_AGENT));
        assertEquals(Optional.empty(), registry.approverByToken(FIN_APPROVER));
        assertTrue(logs.has(Level.INFO, "policy removed for research: " + file + " was deleted"));
    }

    @Test
    void aNewFileAddsAProject() throws IOException {
        write("research.yaml", policy("research", "10.00", RESEARCH_AGENT, FIN_APPROVER));
        registry.reloadNow();
        write("sales.yaml", policy("sales", "10.00", "agent-sales-1-token", "approver-sales-1-token"));
        assertEquals(List.of("sales"), registry.reloadNow().loaded());
        assertEquals(Optional.of(new AgentIdentity("agent-1", "sales")), registry.agentByToken("agent-sales-1-token"));
    }

    @Test
    void aSecondFileForTheSameProjectIsRejectedUntilTheFirstGoes() throws IOException {
        Path first = write("research.yaml", policy("research", "10.00", RESEARCH_AGENT, FIN_APPROVER));
        Path second = write("research.yml", policy("research", "20.00", "agent-research-2-token", FIN_APPROVER));

        ReloadReport report = registry.reloadNow();

        assertEquals(List.of("research"), report.loaded());
        assertEquals(first, registry.project("research").orElseThrow().source());
        assertEquals(Map.of(second, List.of(second + ": project: project research is already defined by " + first)), report.rejected());
        assertTrue(logs.messages(Level.SEVERE).get(0).contains(second + ": project: project research is already defined by " + first));

        Files.delete(first);
        report = registry.reloadNow();
        assertEquals(List.of("research"), report.removed());
        assertEquals(List.of("research"), report.loaded());
        assertEquals(second, registry.project("research").orElseThrow().source());
        assertEquals(Optional.empty(), registry.agentByToken(RESEARCH_AGENT));
        assertEquals(Optional.of(new AgentIdentity("agent-1", "research")), registry.agentByToken("agent-research-2-token"));
    }

    @Test
    void aTokenUsedByAnotherProjectRejectsTheLaterFile() throws IOException {
        write("research.yaml", policy("research", "10.00", RESEARCH_AGENT, FIN_APPROVER));
        registry.reloadNow();
        Path sales = write("sales.yaml", policy("sales", "10.00", RESEARCH_AGENT, "approver-sales-1-token"));

        ReloadReport report = registry.reloadNow();

        assertEquals(List.of(), report.loaded());
        assertEquals(Optional.empty(), registry.project("sales"));
        assertEquals(Optional.of(new AgentIdentity("agent-1", "research")), registry.agentByToken(RESEARCH_AGENT));
        assertEquals(List.of(sales + ": agents[0].token_sha256: token hash is already used by agent agent-1 of project research ("
                + dir.resolve("research.yaml") + ")"), report.rejected().get(sales));
    }

    @Test
    void anApproverTokenCannotBeReusedByAnotherApproverOrAnAgent() throws IOException {
        write("research.yaml", policy("research", "10.00", RESEARCH_AGENT, FIN_APPROVER));
        registry.reloadNow();
        Path sales = write("sales.yaml", policy("sales", "10.00", "agent-sales-1-token", FIN_APPROVER)
                .replace("id: approver-1", "id: someone-else"));
        Path ops = write("ops.yaml", policy("ops", "10.00", FIN_APPROVER, "approver-ops-1-token"));

        ReloadReport report = registry.reloadNow();

        assertEquals(List.of(sales + ": approvers[0].token_sha256: token hash is already used by approver approver-1 of project research ("
                + dir.resolve("research.yaml") + "); an approver shared by projects keeps the same id"), report.rejected().get(sales));
        assertEquals(List.of(ops + ": agents[0].token_sha256: token hash is already used by approver approver-1 of project research ("
                + dir.resolve("research.yaml") + ")"), report.rejected().get(ops));
        assertEquals(List.of("research"), registry.all().stream().map(ProjectPolicy::project).toList());
    }

    @Test
    void aMissingDirectoryLoadsNothingAndDoesNotThrow() {
        PolicyRegistry missing = new PolicyRegistry(config(dir.resolve("nope")));
        ReloadReport report = missing.reloadNow();
        assertEquals(List.of(), List.copyOf(missing.all()));
        assertEquals(1, report.rejected().size());
        assertTrue(logs.messages(Level.SEVERE).get(0).startsWith("cannot list the budgets directory " + dir.resolve("nope")));
    }

    @Test
    void theShippedBudgetsDirectoryAndDocumentedDemoTokens() {
        PolicyRegistry shipped = new PolicyRegistry(config(Path.of("budgets")));
        ReloadReport report = shipped.reloadNow();
        assertEquals(Map.of(), report.rejected());
        assertEquals(List.of("marketing", "project-billing", "research"), report.loaded());
        assertEquals(Optional.of(new AgentIdentity("research-agent-1", "research")), shipped.agentByToken("agent-research-1-token"));
        assertEquals(Optional.of(new AgentIdentity("billing-reconciler-1", "project-billing")),
                shipped.agentByToken("agent-billing-reconciler-1-token"));
        assertEquals(Optional.of(new ApproverIdentity("fin-lead", Set.of("project-billing"))), shipped.approverByToken("approver-fin-lead-token"));
        assertEquals(Optional.of(new AgentIdentity("research-agent-2", "research")), shipped.agentByToken("agent-research-2-token"));
        assertEquals(Optional.of(new AgentIdentity("campaign-agent", "marketing")), shipped.agentByToken("agent-marketing-1-token"));
        assertEquals(Optional.of(new ApproverIdentity("fin-approver-1", Set.of("research", "marketing"))),
                shipped.approverByToken("approver-fin-1-token"));
        assertEquals(Optional.of(new ApproverIdentity("research-lead", Set.of("research"))), shipped.approverByToken("approver-research-1-token"));
        assertEquals(Optional.of(new ApproverIdentity("marketing-lead", Set.of("marketing"))), shipped.approverByToken("approver-marketing-1-token"));
    }

    // ---- helpers ---------------------------------------------------------------------------------

    static BudgetsConfig config(Path dir) {
        return new BudgetsConfig() {
            @Override public Path dir() { return dir; }
            @Override public Duration reloadInterval() { return Duration.ofSeconds(2); }
        };
    }

    static String policy(String project, String autoBelow, String agentToken, String approverToken) {
        return """
                project: %s
                currency: usd
                agents:
                  - id: agent-1
                    token_sha256: "%s"
                payment:
                  stripe_payment_method: pm_card_visa
                tiers:
                  auto_below: "%s"
                  explicit_above: "250.00"
                  ceiling: "1000.00"
                sellers:
                  default: allow
                approvers:
                  - id: approver-1
                    token_sha256: "%s"
                """.formatted(project, Sha256.hex(agentToken), autoBelow, Sha256.hex(approverToken));
    }

    private Path write(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content);
    }

    /** Collects what PolicyRegistry logs (JBoss Logging runs on the JBoss LogManager, a java.util.logging manager). */
    static final class LogCapture extends Handler {
        private final List<LogRecord> records = Collections.synchronizedList(new ArrayList<>());

        @Override public void publish(LogRecord record) { records.add(record); }
        @Override public void flush() {}
        @Override public void close() {}

        List<String> messages(Level level) {
            synchronized (records) {
                return records.stream().filter(r -> r.getLevel().intValue() == level.intValue())
                        .map(LogRecord::getMessage).toList();
            }
        }

        boolean has(Level level, String message) {
            return messages(level).contains(message);
        }

        @Override
        public String toString() {
            synchronized (records) {
                return records.stream().map(r -> r.getLevel() + " " + r.getMessage()).toList().toString();
            }
        }
    }
}
