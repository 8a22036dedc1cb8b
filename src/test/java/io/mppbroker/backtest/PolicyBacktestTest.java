package io.mppbroker.backtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mppbroker.cli.BrokerCli;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.stream.StreamSupport;
import javax.sql.DataSource;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code policy backtest} against a known history seeded into the broker's schema (the Quarkus test only makes sure
 * Flyway migrated it): the command connects with plain JDBC like an operator's run, and the counts and amounts
 * are worked out by hand below.
 *
 * <p>Recorded under the old policy (auto_below 10.00, explicit_above 250.00, ceiling 1000.00, per_task 100.00,
 * casino sellers denied). The candidate: auto_below 60.00, ceiling 500.00, *.blocked.example denied instead of
 * casinos, recurring after 2 similar payments within 1h.
 */
@QuarkusTest
class PolicyBacktestTest {

    static final String PROJECT = "backtest";
    static final String DATA = "api.data.example";

    @Inject
    DataSource db;

    @TempDir
    Path dir;
    Path candidate;

    @BeforeEach
    void seed() throws SQLException, IOException {
        candidate = Files.writeString(dir.resolve("backtest.candidate.yaml"), """
                project: backtest
                currency: usd
                agents:
                  - id: backtest-agent
                    token_sha256: "8c1d9dab9d882a03cb376829b21a91f698882cac9966ab51d800b60d09933db4"
                payment:
                  stripe_payment_method: pm_card_visa
                budgets:
                  per_task: "100.00"
                  per_month: "2000.00"
                tiers:
                  auto_below: "60.00"
                  explicit_above: "250.00"
                  ceiling: "500.00"
                sellers:
                  default: allow
                  deny: ["*.blocked.example"]
                recurring:
                  min_occurrences: 2
                  window: 1h
                  amount_tolerance: "0.10"
                approvers:
                  - id: backtest-approver
                    token_sha256: "3d8713f00bdfd23c4b70e66692efb5ae87c00ca7467be11845e52d0a12cbf13f"
                """);
        try (Connection c = db.getConnection()) {
            for (String table : List.of("decision", "budget_reservation", "approval")) {
                exec(c, "DELETE FROM " + table + " WHERE payment_id IN (SELECT id FROM payment WHERE project IN (?, 'backtest-other'))",
                        PROJECT);
            }
            exec(c, "DELETE FROM policy_overlay WHERE project = ?", PROJECT);
            exec(c, "DELETE FROM payment WHERE project IN (?, 'backtest-other')", PROJECT);

            // Before the window: neither its first decision nor the human one after the window opened count.
            payment(c, "bt_p14", "t-0", DATA);
            decision(c, "bt_p14", "ASK", "policy", "tiers.auto_below", "50.00", "2025-12-31T23:00:00Z");
            decision(c, "bt_p14", "ASK", "human", "approval", "50.00", "2026-01-01T01:00:00Z");
            reservation(c, "bt_p14", "t-0", DATA, "50.00", "CAPTURED", "2026-01-01T01:00:00Z", "2026-01-01T01:00:00Z");

            // P1 auto, unchanged. P2 ask -> auto (approved: reserved at 11:30). P3 ask -> auto (a human refused it).
            paid(c, "bt_p1", "t-1", DATA, "AUTO", "tiers.auto_below", "5.00", "2026-01-05T10:00:00Z");
            payment(c, "bt_p2", "t-1", DATA);
            decision(c, "bt_p2", "ASK", "policy", "tiers.auto_below", "50.00", "2026-01-05T11:00:00Z");
            decision(c, "bt_p2", "ASK", "human", "approval", "50.00", "2026-01-05T11:30:00Z");
            reservation(c, "bt_p2", "t-1", DATA, "50.00", "CAPTURED", "2026-01-05T11:30:00Z", "2026-01-05T11:30:01Z");
            payment(c, "bt_p3", "t-1", DATA);
            decision(c, "bt_p3", "ASK", "policy", "tiers.auto_below", "40.00", "2026-01-05T12:00:00Z");
            // P4 over the task budget -> denied by the lower ceiling (approved then: reserved).
            payment(c, "bt_p4", "t-2", DATA);
            decision(c, "bt_p4", "OVER_BUDGET", "policy", "budgets.per_task", "700.00", "2026-01-06T09:00:00Z");
            reservation(c, "bt_p4", "t-2", DATA, "700.00", "CAPTURED", "2026-01-06T09:30:00Z", "2026-01-06T09:30:00Z");
            // P5 above both ceilings, unchanged. P6 casino: denied then, auto now.
            payment(c, "bt_p5", "t-3", DATA);
            decision(c, "bt_p5", "DENY", "policy", "tiers.ceiling", "1200.00", "2026-01-06T10:00:00Z");
            payment(c, "bt_p6", "t-4", "slots.casino.example");
            decision(c, "bt_p6", "DENY", "policy", "sellers.deny", "5.00", "2026-01-07T10:00:00Z");
            // P7 paid in observe mode; the policy would have asked: compared as ASK -> auto.
            payment(c, "bt_p7", "t-5", "api.other.example");
            decision(c, "bt_p7", "AUTO", "autonomous", "mode", "20.00", "2026-01-08T10:00:00Z");
            exec(c, "UPDATE decision SET observed_tier = 'ASK', observed_rule = 'tiers.auto_below', observed_reason = 'x'"
                    + " WHERE payment_id = ?", "bt_p7");
            reservation(c, "bt_p7", "t-5", "api.other.example", "20.00", "CAPTURED", "2026-01-08T10:00:00Z", "2026-01-08T10:00:01Z");
            // P8 t-1 has 55.00 committed (P1 + P2): 105.00 is over budget under both policies.
            payment(c, "bt_p8", "t-1", DATA);
            decision(c, "bt_p8", "OVER_BUDGET", "policy", "budgets.per_task", "50.00", "2026-01-09T10:00:00Z");
            // P9 auto but not delivered: released at 10:05. P10 at 10:02 still sees its 9.00 (104.00: over budget);
            // P11 at 11:00 no longer does (95.00: asks under both).
            paid(c, "bt_p9", "t-7", DATA, "AUTO", "tiers.auto_below", "9.00", "2026-01-10T10:00:00Z");
            exec(c, "UPDATE budget_reservation SET state = 'RELEASED', updated_at = ? WHERE payment_id = ?",
                    ts("2026-01-10T10:05:00Z"), "bt_p9");
            payment(c, "bt_p10", "t-7", DATA);
            decision(c, "bt_p10", "OVER_BUDGET", "policy", "budgets.per_task", "95.00", "2026-01-10T10:02:00Z");
            payment(c, "bt_p11", "t-7", DATA);
            decision(c, "bt_p11", "ASK", "policy", "tiers.auto_below", "95.00", "2026-01-10T11:00:00Z");
            // P12 auto by an approver's seller allowance, active then: still auto with it (ask without it).
            exec(c, "INSERT INTO policy_overlay (id, project, kind, seller_host, amount, expires_at, created_by, created_at)"
                            + " VALUES ('ovl_bt1', ?, 'SELLER_ALLOWANCE', ?, 100.00, ?, 'backtest-approver', ?)",
                    PROJECT, DATA, ts("2026-01-13T00:00:00Z"), ts("2026-01-12T09:00:00Z"));
            paid(c, "bt_p12", "t-8", DATA, "AUTO", "grant:ovl_bt1", "80.00", "2026-01-12T10:00:00Z");
            // P13 the seller's challenge was unpayable: no amount, skipped.
            payment(c, "bt_p13", "t-9", DATA);
            exec(c, "INSERT INTO decision (id, payment_id, tier, basis, rule, reason, policy_version, created_at)"
                    + " VALUES ('dec_bt_p13', 'bt_p13', 'DENY', 'policy', 'method', 'tempo only', 'v1', ?)", ts("2026-01-14T10:00:00Z"));
            // P15 auto then, its seller is denied now. P16/P17 the same 3.00 twice in 30 minutes: the second is recurring now.
            paid(c, "bt_p15", "t-10", "api.blocked.example", "AUTO", "tiers.auto_below", "9.50", "2026-01-15T10:00:00Z");
            paid(c, "bt_p16", "t-11", "api.feed.example", "AUTO", "tiers.auto_below", "3.00", "2026-01-16T10:00:00Z");
            paid(c, "bt_p17", "t-12", "api.feed.example", "AUTO", "tiers.auto_below", "3.00", "2026-01-16T10:30:00Z");

            // Another project and after the window: never replayed.
            exec(c, "INSERT INTO payment (id, project, agent, task, request_hash, request_method, request_url, request_headers,"
                    + " status) VALUES ('bt_other', 'backtest-other', 'a', 't', 'h', 'GET', 'https://x/', '{}'::jsonb, 'PAID')");
            decision(c, "bt_other", "ASK", "policy", "tiers.auto_below", "50.00", "2026-01-05T10:00:00Z");
            paid(c, "bt_late", "t-13", DATA, "ASK", "tiers.auto_below", "30.00", "2026-02-01T00:00:00Z");
        }
    }

    @Test
    void jsonReportHasTheExactCountsAndAmounts() throws IOException {
        Run run = backtest("--format", "json");
        assertEquals(0, run.exit(), run.err());
        JsonNode r = new ObjectMapper().readTree(run.out());
        assertEquals("backtest", r.get("project").asText());
        assertEquals("usd", r.get("currency").asText());
        assertEquals("2026-01-01T00:00:00Z", r.get("since").asText());
        assertEquals("2026-02-01T00:00:00Z", r.get("until").asText());
        assertEquals(15, r.get("decisions").asInt());
        assertBucket(r, "unchanged", 8, "1537.00");
        assertBucket(r, "newly_auto_approved", 4, "115.00");
        assertBucket(r, "no_longer_automatic", 2, "12.50");
        assertBucket(r, "asks_added", 1, "3.00");
        assertBucket(r, "asks_removed", 4, "810.00");
        assertBucket(r, "denials_added", 2, "709.50");
        assertBucket(r, "denials_removed", 1, "5.00");
        assertBucket(r, "human_tier_changed", 0, "0.00");

        Map<String, String> changes = new java.util.TreeMap<>();
        for (JsonNode c : r.get("changes")) {
            changes.put(c.get("payment_id").asText(), c.at("/recorded/tier").asText() + " (" + c.at("/recorded/rule").asText()
                    + ") -> " + c.at("/candidate/tier").asText() + " (" + c.at("/candidate/rule").asText() + ")");
        }
        assertEquals(Map.of(
                "bt_p2", "ask (tiers.auto_below) -> auto (tiers.auto_below)",
                "bt_p3", "ask (tiers.auto_below) -> auto (tiers.auto_below)",
                "bt_p4", "over_budget (budgets.per_task) -> deny (tiers.ceiling)",
                "bt_p6", "deny (sellers.deny) -> auto (tiers.auto_below)",
                "bt_p7", "ask (tiers.auto_below) -> auto (tiers.auto_below)",
                "bt_p15", "auto (tiers.auto_below) -> deny (sellers.deny)",
                "bt_p17", "auto (tiers.auto_below) -> recurring (recurring)"), changes);
        JsonNode p7 = StreamSupport.stream(r.get("changes").spliterator(), false)
                .filter(c -> c.get("payment_id").asText().equals("bt_p7")).findFirst().orElseThrow();
        assertEquals("autonomous", p7.at("/recorded/basis").asText());
        assertEquals("20.00", p7.get("amount").asText());

        assertEquals(1, r.get("skipped").size());
        assertEquals("bt_p13", r.at("/skipped/0/payment_id").asText());
    }

    @Test
    void textReportSummarizesAndListsTheChanges() {
        Run run = backtest();
        assertEquals(0, run.exit(), run.err());
        List<String> lines = run.out().lines().map(l -> l.trim().replaceAll("\\s+", " ")).toList();
        assertTrue(lines.get(0).startsWith("Backtest of " + candidate + " (project backtest, version "), lines.get(0));
        assertEquals("15 recorded decisions from 2026-01-01T00:00:00Z to 2026-02-01T00:00:00Z, 7 would change; amounts in usd:",
                lines.get(1));
        assertEquals(List.of("unchanged 8 1537.00", "newly auto-approved 4 115.00", "no longer automatic 2 12.50",
                "asks added 1 3.00", "asks removed 4 810.00", "denials added 2 709.50", "denials removed 1 5.00",
                "human tier changed 0 0.00", "Changes:"), lines.subList(2, 11));
        assertEquals("2026-01-05T11:00:00Z bt_p2 50.00 usd to api.data.example (task t-1): ask (tiers.auto_below) -> auto"
                + " (tiers.auto_below)", lines.get(11));
        assertTrue(lines.contains("Skipped 1:"), run.out());
    }

    @Test
    void anInvalidCandidateIsReportedAndNothingIsReplayed() throws IOException {
        Files.writeString(candidate, Files.readString(candidate).replace("ceiling: \"500.00\"", "ceiling: 500"));
        Run run = backtest();
        assertEquals(1, run.exit());
        assertEquals(List.of(candidate + ": tiers.ceiling: 500 is a YAML number; write it as a quoted string (\"500\") so the value"
                + " stays exact", "the candidate is invalid; nothing was replayed"), run.out().lines().toList());
    }

    // ---- helpers ------------------------------------------------------------------------------------

    record Run(int exit, String out, String err) {}

    Run backtest(String... extra) {
        String url = ConfigProvider.getConfig().getValue("quarkus.datasource.jdbc.url", String.class);
        String user = ConfigProvider.getConfig().getValue("quarkus.datasource.username", String.class);
        List<String> args = new java.util.ArrayList<>(List.of("policy", "backtest", candidate.toString(),
                "--since", "2026-01-01", "--until", "2026-02-01T00:00:00Z", "--jdbc-url", url, "--username", user));
        args.addAll(List.of(extra));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = BrokerCli.run(new PrintWriter(out, true), new PrintWriter(err, true), args.toArray(String[]::new));
        return new Run(exit, out.toString(), err.toString());
    }

    static void assertBucket(JsonNode report, String name, int count, String amount) {
        assertEquals(count, report.at("/" + name + "/count").asInt(), name);
        assertEquals(amount, report.at("/" + name + "/amount").asText(), name);
    }

    static void payment(Connection c, String id, String task, String host) throws SQLException {
        exec(c, "INSERT INTO payment (id, project, agent, task, request_hash, request_method, request_url, request_headers,"
                + " status, seller_host, realm) VALUES (?, ?, 'backtest-agent', ?, 'h', 'GET', ?, '{}'::jsonb, 'PAID', ?, ?)",
                id, PROJECT, task, "https://" + host + "/r", host, host);
    }

    static void decision(Connection c, String paymentId, String tier, String basis, String rule, String amount, String at)
            throws SQLException {
        exec(c, "INSERT INTO decision (id, payment_id, tier, basis, rule, reason, policy_version, amount, currency, created_at)"
                        + " VALUES (?, ?, ?, ?, ?, 'recorded', 'v1', ?, 'usd', ?)",
                "dec_" + paymentId + "_" + basis, paymentId, tier, basis, rule, new BigDecimal(amount), ts(at));
    }

    static void reservation(Connection c, String paymentId, String task, String host, String amount, String state,
                            String createdAt, String updatedAt) throws SQLException {
        exec(c, "INSERT INTO budget_reservation (payment_id, project, task, seller_host, amount, currency, state, created_at,"
                + " updated_at) VALUES (?, ?, ?, ?, ?, 'usd', ?, ?, ?)",
                paymentId, PROJECT, task, host, new BigDecimal(amount), state, ts(createdAt), ts(updatedAt));
    }

    /** A payment decided automatically and paid at once: its reservation is made with the decision. */
    static void paid(Connection c, String id, String task, String host, String tier, String rule, String amount, String at)
            throws SQLException {
        payment(c, id, task, host);
        decision(c, id, tier, "policy", rule, amount, at);
        reservation(c, id, task, host, amount, "CAPTURED", at, at);
    }

    static java.time.OffsetDateTime ts(String instant) {
        return Instant.parse(instant).atOffset(ZoneOffset.UTC);
    }

    static void exec(Connection c, String sql, Object... params) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) s.setObject(i + 1, params[i]);
            s.executeUpdate();
        }
    }
}
