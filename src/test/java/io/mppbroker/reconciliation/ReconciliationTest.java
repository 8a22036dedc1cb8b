package io.mppbroker.reconciliation;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import io.mppbroker.cli.BrokerCli;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Reconciliation over a seeded ledger of project "recon" that holds every kind of discrepancy, a clean charge of
 * each basis, and rows that must stay out of the report (another window, another project, a dead unspent token).
 */
@QuarkusTest
class ReconciliationTest {

    static final String APPROVER = "Bearer recon-approver-token";
    static final Instant D1 = Instant.parse("2026-01-10T09:00:00Z");
    static final Instant D2 = Instant.parse("2026-01-11T15:00:00Z");
    static final Instant LATER = Instant.parse("2026-01-13T10:00:00Z");
    static final String ALPHA = "api.alpha.example";
    static final String BETA = "api.beta.example";

    static boolean seeded;

    @Inject
    DataSource database;

    @BeforeEach
    void seedOnce() {
        if (seeded) {
            return;
        }
        LedgerSeed seed = new LedgerSeed(database);
        // Clean charges, one per basis.
        charge(seed, "pay_r_auto", "recon-agent", ALPHA, "PAID", "5.00", D1, "pi_auto1", "spt_autoAAAA1111", "dec_r_auto");
        seed.decision("dec_r_auto", "pay_r_auto", "AUTO", "policy", "tiers.auto_below", "5.00", null, D1);
        seed.reservation("pay_r_auto", "recon", ALPHA, "5.00", "CAPTURED", D1);

        Map<String, Object> human = charge(seed, "pay_r_human", "recon-agent-2", BETA, "PAID", "50.00", D2, "pi_human1",
                "spt_humanBBBB2222", "dec_r_human", Map.of("approval_id", "apr_r_human", "approved_by", "approver-y",
                        "approved_max_amount", new java.math.BigDecimal("60.00")));
        seed.decision("dec_r_human", "pay_r_human", "ASK", "human", "approval", "50.00", "approver-y", D2);
        seed.approval("apr_r_human", "pay_r_human", "recon", "approver-y", "slack", D2.minusSeconds(60), "60.00");
        seed.vote("apr_r_human", "approver-x", "APPROVE", "api", D2.minusSeconds(120));
        seed.vote("apr_r_human", "approver-y", "APPROVE", "slack", D2.minusSeconds(60));
        seed.reservation("pay_r_human", "recon", BETA, "50.00", "CAPTURED", D2);

        charge(seed, "pay_r_grant", "recon-agent", ALPHA, "PAID", "7.00", D2, "pi_grant1", "spt_grantCCCC3333", "dec_r_grant");
        seed.grant("ovl_r_grant", "recon", ALPHA, "10.00", "approver-x", D1.minusSeconds(3600));
        seed.decision("dec_r_grant", "pay_r_grant", "AUTO", "policy", "grant:ovl_r_grant", "7.00", null, D2);
        seed.reservation("pay_r_grant", "recon", ALPHA, "7.00", "CAPTURED", D2);

        // charge_without_decision
        charge(seed, "pay_r_nodec", "recon-agent", ALPHA, "PAID", "3.00", D1, "pi_nodec", "spt_nodecDDDD4444", null);

        // decision_paid_twice: a second payment carries the first one's decision
        charge(seed, "pay_r_twice_a", "recon-agent", ALPHA, "PAID", "4.00", D1, "pi_twice_a", "spt_twiceEEEE5555", "dec_r_twice");
        seed.decision("dec_r_twice", "pay_r_twice_a", "AUTO", "policy", "tiers.auto_below", "4.00", null, D1);
        seed.reservation("pay_r_twice_a", "recon", ALPHA, "4.00", "CAPTURED", D1);
        charge(seed, "pay_r_twice_b", "recon-agent", ALPHA, "PAID", "4.00", D1.plusSeconds(3600), "pi_twice_b",
                "spt_twiceFFFF6666", "dec_r_twice");

        // amount_mismatch: approved up to 20.00, charged 25.00, the seller's receipt says 26.00
        charge(seed, "pay_r_mismatch", "recon-agent-2", BETA, "PAID", "25.00", D2, "pi_mismatch", "spt_mismGGGG7777",
                "dec_r_mismatch", Map.of("approval_id", "apr_r_mismatch", "approved_by", "approver-x",
                        "approved_max_amount", new java.math.BigDecimal("20.00"),
                        "receipt", new LedgerSeed.Jsonb("{\"method\":\"stripe\",\"status\":\"success\",\"reference\":\"pi_mismatch\",\"amount\":\"2600\"}")));
        seed.decision("dec_r_mismatch", "pay_r_mismatch", "ASK", "human", "approval", "25.00", "approver-x", D2);
        seed.approval("apr_r_mismatch", "pay_r_mismatch", "recon", "approver-x", "api", D2.minusSeconds(30), "20.00");
        seed.vote("apr_r_mismatch", "approver-x", "APPROVE", "api", D2.minusSeconds(30));
        seed.reservation("pay_r_mismatch", "recon", BETA, "25.00", "CAPTURED", D2);

        // spt_without_receipt: charged (Stripe says so) but never delivered
        charge(seed, "pay_r_undelivered", "recon-agent-2", BETA, "PAID_UNDELIVERED", "2.00", D2.plusSeconds(600), null,
                "spt_undelHHHH8888", "dec_r_undelivered", Map.of("spt_amount_captured_minor", 200L,
                        "spt_checked_at", D2.plusSeconds(700)));
        seed.decision("dec_r_undelivered", "pay_r_undelivered", "AUTO", "policy", "tiers.auto_below", "2.00", null, D2);
        seed.reservation("pay_r_undelivered", "recon", BETA, "2.00", "CAPTURED", D2);

        // receipt_without_spt
        charge(seed, "pay_r_nospt", "recon-agent", ALPHA, "PAID", "1.50", D1.plusSeconds(60), "pi_nospt", null, "dec_r_nospt");
        seed.decision("dec_r_nospt", "pay_r_nospt", "AUTO", "policy", "tiers.auto_below", "1.50", null, D1);
        seed.reservation("pay_r_nospt", "recon", ALPHA, "1.50", "CAPTURED", D1);

        // Not charges: a failed payment whose token is dead (fine), and one whose token may still be spent (flagged).
        Map<String, Object> revoked = seed.payment("pay_r_failed_revoked", "recon", "recon-agent", ALPHA, "FAILED", "9.00", D1);
        revoked.put("spt_id", "spt_deadIIII9999");
        revoked.put("spt_state", "REVOKED");
        revoked.put("spt_minted_at", D1);
        seed.insert("payment", revoked);
        Map<String, Object> live = seed.payment("pay_r_failed_live", "recon", "recon-agent", ALPHA, "FAILED", "8.00", D2);
        live.put("spt_id", "spt_liveJJJJ0000");
        live.put("spt_state", "ACTIVE");
        live.put("spt_minted_at", D2);
        seed.insert("payment", live);

        // Outside the report: another window, another project.
        charge(seed, "pay_r_later", "recon-agent", ALPHA, "PAID", "6.00", LATER, "pi_later", "spt_laterKKKK1212", "dec_r_later");
        seed.decision("dec_r_later", "pay_r_later", "AUTO", "policy", "tiers.auto_below", "6.00", null, LATER);
        Map<String, Object> other = seed.payment("pay_o_inwin", "other", "other-agent", ALPHA, "PAID", "11.00", D2);
        other.put("receipt_reference", "pi_other1");
        seed.insert("payment", other);
        seeded = true;
    }

    private static Map<String, Object> charge(LedgerSeed seed, String id, String agent, String seller, String status,
                                              String amount, Instant at, String receipt, String spt, String decision) {
        return charge(seed, id, agent, seller, status, amount, at, receipt, spt, decision, Map.of());
    }

    private static Map<String, Object> charge(LedgerSeed seed, String id, String agent, String seller, String status,
                                              String amount, Instant at, String receipt, String spt, String decision,
                                              Map<String, Object> more) {
        Map<String, Object> row = seed.payment(id, "recon", agent, seller, status, amount, at);
        row.put("receipt_reference", receipt);
        if (receipt != null && !more.containsKey("receipt")) {
            row.put("receipt", new LedgerSeed.Jsonb("{\"method\":\"stripe\",\"status\":\"success\",\"reference\":\"" + receipt + "\"}"));
        }
        row.put("spt_id", spt);
        row.put("spt_state", spt == null ? null : "USED");
        row.put("spt_minted_at", spt == null ? null : at);
        if (spt == null) {
            row.put("updated_at", at);
        }
        row.put("decision_id", decision);
        row.putAll(more);
        seed.insert("payment", row);
        return row;
    }

    static Response report(String format, String table) {
        return given().header("Authorization", APPROVER).queryParam("project", "recon")
                .queryParam("from", "2026-01-10").queryParam("to", "2026-01-11")
                .queryParam("format", format).queryParam("table", table).get("/v1/reports/reconciliation");
    }

    @Test
    void everyDiscrepancyKindIsReportedWithItsKind() {
        JsonPath json = report("json", null).then().statusCode(200).contentType("application/json").extract().jsonPath();
        List<Map<String, Object>> found = json.getList("discrepancies");
        Map<String, List<String>> byKind = found.stream().collect(Collectors.groupingBy(d -> (String) d.get("kind"),
                LinkedHashMap::new, Collectors.mapping(d -> (String) d.get("payment_id"), Collectors.toList())));
        assertEquals(Map.of(
                "charge_without_decision", List.of("pay_r_nodec"),
                "decision_paid_twice", List.of("pay_r_twice_a"),
                "amount_mismatch", List.of("pay_r_mismatch"),
                "spt_without_receipt", List.of("pay_r_failed_live", "pay_r_undelivered"),
                "receipt_without_spt", List.of("pay_r_nospt")), sorted(byKind), found.toString());

        Map<String, Object> twice = only(found, "decision_paid_twice");
        assertEquals("dec_r_twice", twice.get("decision_id"));
        assertTrue(((String) twice.get("detail")).contains("pay_r_twice_a (pi_twice_a), pay_r_twice_b (pi_twice_b)"), twice.toString());
        String mismatch = (String) only(found, "amount_mismatch").get("detail");
        assertTrue(mismatch.contains("challenge 25.00") && mismatch.contains("receipt 26.00"), mismatch);
        assertTrue(mismatch.contains("charged 25.00 usd but approved up to 20.00 usd"), mismatch);
        assertTrue(((String) only(found, "charge_without_decision").get("detail")).contains("no decision recorded"));

        // Charge rows name their findings; clean charges have none.
        Map<String, Map<String, Object>> rows = rows(json);
        assertEquals(List.of("decision_paid_twice"), rows.get("pay_r_twice_b").get("discrepancies"));
        assertEquals(List.of(), rows.get("pay_r_auto").get("discrepancies"));
        assertEquals(List.of("spt_without_receipt"), rows.get("pay_r_undelivered").get("discrepancies"));
        // Out of the report: another window, another project, and failed payments are not charges.
        assertEquals(9, rows.size(), rows.keySet().toString());
        assertFalse(rows.containsKey("pay_r_later") || rows.containsKey("pay_o_inwin") || rows.containsKey("pay_r_failed_live"));
    }

    @Test
    void rowsCarryBasisApproversAndTokensAndTotalsAreExact() {
        JsonPath json = report(null, null).then().statusCode(200).extract().jsonPath();
        Map<String, Map<String, Object>> rows = rows(json);
        Map<String, Object> human = rows.get("pay_r_human");
        assertEquals("human", human.get("basis"));
        assertEquals("50.00", human.get("amount"));
        assertEquals("pi_human1", human.get("receipt_reference"));
        assertEquals("spt_humanBBBB2222", human.get("spt"), "a spent token is shown in full");
        assertEquals("sha256:seeded-dec_r_human", human.get("policy_version"));
        assertEquals(List.of(
                Map.of("approver", "approver-x", "via", "api", "at", D2.minusSeconds(120).toString()),
                Map.of("approver", "approver-y", "via", "slack", "at", D2.minusSeconds(60).toString())), human.get("approvers"));
        assertEquals(D2.toString(), human.get("charged_at"));
        assertEquals(D2.minusSeconds(10).toString(), human.get("decided_at"));
        assertEquals("autonomous", rows.get("pay_r_auto").get("basis"));
        assertEquals("tiers.auto_below", rows.get("pay_r_auto").get("rule"));
        assertEquals("policy_rule", rows.get("pay_r_grant").get("basis"));
        assertEquals(List.of(Map.of("approver", "approver-x", "via", "grant", "at", D1.minusSeconds(3600).toString())),
                rows.get("pay_r_grant").get("approvers"));
        assertEquals("none", rows.get("pay_r_nodec").get("basis"));

        assertEquals(List.of(total("all", 9, "101.50")), json.getList("totals.overall"));
        assertEquals(List.of(total("recon", 9, "101.50")), json.getList("totals.by_project"));
        assertEquals(List.of(total("recon/recon-agent", 6, "24.50"), total("recon/recon-agent-2", 3, "77.00")),
                json.getList("totals.by_agent"));
        assertEquals(List.of(total(ALPHA, 6, "24.50"), total(BETA, 3, "77.00")), json.getList("totals.by_seller"));
        assertEquals(List.of(total("autonomous", 4, "12.50"), total("human", 2, "75.00"), total("none", 2, "7.00"),
                total("policy_rule", 1, "7.00")), json.getList("totals.by_basis"));
        assertNull(json.get("external"));
    }

    @Test
    void csvIsRfc4180WithAHeaderRow() throws Exception {
        String csv = report("csv", null).then().statusCode(200).contentType(org.hamcrest.Matchers.startsWith("text/csv"))
                .extract().asString();
        assertTrue(csv.contains("\r\n") && !csv.replace("\r\n", "").contains("\n"), "CRLF line ends");
        List<Map<String, String>> rows = parseCsv(csv);
        assertEquals(9, rows.size());
        assertEquals(ReportWriter.CHARGE_COLUMNS, new ArrayList<>(rows.get(0).keySet()));
        Map<String, String> human = rows.stream().filter(r -> r.get("payment_id").equals("pay_r_human")).findFirst().orElseThrow();
        // A field with commas, parentheses and semicolons survives quoting.
        assertEquals("approver-x (api, " + D2.minusSeconds(120) + "); approver-y (slack, " + D2.minusSeconds(60) + ")",
                human.get("approvers"));
        assertEquals("50.00", human.get("amount"));
        Map<String, String> twice = rows.stream().filter(r -> r.get("payment_id").equals("pay_r_twice_a")).findFirst().orElseThrow();
        assertEquals("decision_paid_twice", twice.get("discrepancies"));

        List<Map<String, String>> totals = parseCsv(report("csv", "totals").then().statusCode(200).extract().asString());
        assertTrue(totals.contains(Map.of("group", "basis", "key", "human", "currency", "usd", "charges", "2", "amount", "75.00")),
                totals.toString());
        List<Map<String, String>> found = parseCsv(report("csv", "discrepancies").then().statusCode(200).extract().asString());
        assertEquals(6, found.size());
        assertTrue(found.stream().anyMatch(d -> d.get("kind").equals("receipt_without_spt") && d.get("receipt_reference").equals("pi_nospt")));
    }

    @Test
    void htmlIsOnePageWithAChartOfSpendByBasis() {
        String html = report("html", null).then().statusCode(200).contentType(org.hamcrest.Matchers.startsWith("text/html"))
                .extract().asString();
        assertTrue(html.startsWith("<!DOCTYPE html>"));
        assertTrue(html.contains("<svg"), "inline chart");
        for (String basis : List.of("autonomous", "human", "policy_rule", "none")) {
            assertTrue(html.contains("data-basis=\"" + basis + "\""), basis);
        }
        assertTrue(html.contains("2026-01-10") && html.contains("2026-01-11"), "one bar per day");
        assertTrue(html.contains("decision_paid_twice") && html.contains("101.50"));
        assertFalse(html.contains("<script") || html.contains(" src=") || html.contains(" href="), "self-contained");
    }

    @Test
    void anExternalStripeExportIsJoined() {
        String export = """
                id,amount,currency,created,description\r
                pi_auto1,5.00,usd,2026-01-10 09:00:05,ok\r
                pi_human1,50.00,usd,2026-01-11 15:00:05,"Approved, ""big"" one"\r
                pi_grant1,7.50,usd,2026-01-11 15:00:05,amount differs\r
                pi_unknown9,12.34,usd,2026-01-11 10:00:00,never authorized\r
                pi_other1,11.00,usd,2026-01-11 10:00:00,another project\r
                pi_later,6.00,usd,2026-01-11 23:00:00,recon but charged after the window\r
                """;
        JsonPath json = given().header("Authorization", APPROVER).contentType("text/csv").body(export)
                .queryParam("project", "recon").queryParam("from", "2026-01-10").queryParam("to", "2026-01-11")
                .post("/v1/reports/reconciliation").then().statusCode(200).extract().jsonPath();
        List<Map<String, Object>> found = json.getList("discrepancies");
        Map<String, Object> unknown = only(found, "external_charge_not_authorized");
        assertEquals("pi_unknown9", unknown.get("receipt_reference"));
        assertTrue(((String) unknown.get("detail")).contains("12.34 usd"));
        Map<String, Object> differs = only(found, "external_amount_mismatch");
        assertEquals("pay_r_grant", differs.get("payment_id"));
        assertTrue(((String) differs.get("detail")).contains("7.50 usd") && ((String) differs.get("detail")).contains("7.00 usd"));
        List<String> missing = found.stream().filter(d -> d.get("kind").equals("charge_missing_from_export"))
                .map(d -> (String) d.get("payment_id")).sorted().toList();
        assertEquals(List.of("pay_r_mismatch", "pay_r_nodec", "pay_r_nospt", "pay_r_twice_a", "pay_r_twice_b",
                "pay_r_undelivered"), missing);
        assertEquals(Map.of("rows", 6, "matched", 4, "outside_scope", 1, "not_authorized", 1, "missing_from_export", 6,
                "first_charge", "2026-01-10T09:00:05Z", "last_charge", "2026-01-11T23:00:00Z"), json.getMap("external"));
    }

    @Test
    void aCardIssuerExportIsMatchedByAmountDayAndMerchant() {
        String statement = "Transaction Date,Merchant,Amount\n"
                + "2026-01-11,API.BETA.EXAMPLE data,2.00\n"
                + "2026-01-11,Somewhere else,99.99\n"
                + "2026-01-11,refund,-5.00\n";
        JsonPath json = given().header("Authorization", APPROVER).contentType("text/csv").body(statement)
                .queryParam("project", "recon").queryParam("from", "2026-01-10").queryParam("to", "2026-01-11")
                .post("/v1/reports/reconciliation").then().statusCode(200).extract().jsonPath();
        List<Map<String, Object>> found = json.getList("discrepancies");
        assertEquals(1, found.stream().filter(d -> d.get("kind").equals("external_charge_not_authorized")).count());
        assertTrue(((String) only(found, "external_charge_not_authorized").get("detail")).contains("99.99"));
        assertTrue(found.stream().noneMatch(d -> d.get("kind").equals("charge_missing_from_export")
                && "pay_r_undelivered".equals(d.get("payment_id"))), "the 2.00 charge to the beta seller is on the statement");
        assertEquals(2, (Integer) json.get("external.rows"), "the refund is not a charge");
    }

    @Test
    void onlyApproversOfTheProjectMayRead() {
        given().header("Authorization", "Bearer recon-agent-token").get("/v1/reports/reconciliation").then().statusCode(403);
        given().header("Authorization", "Bearer other-approver-token").queryParam("project", "recon")
                .get("/v1/reports/reconciliation").then().statusCode(403)
                .body("type", org.hamcrest.Matchers.endsWith("/not-your-project"));
        given().get("/v1/reports/reconciliation").then().statusCode(401);
        given().header("Authorization", APPROVER).queryParam("format", "pdf").get("/v1/reports/reconciliation")
                .then().statusCode(400);
        given().header("Authorization", APPROVER).contentType("text/csv").body("id,currency\npi_x,usd\n")
                .post("/v1/reports/reconciliation").then().statusCode(400)
                .body("type", org.hamcrest.Matchers.endsWith("/invalid-export"));
    }

    @Test
    void theOfflineCommandPrintsTheSameReport(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        String url = ConfigProvider.getConfig().getValue("quarkus.datasource.jdbc.url", String.class);
        Path export = dir.resolve("stripe.csv");
        Files.writeString(export, "id,amount,currency,created\npi_unknown9,12.34,usd,2026-01-11 10:00:00\n");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = BrokerCli.run(new PrintWriter(out), new PrintWriter(err), "reconcile", "--jdbc-url", url,
                "--user", "postgres", "--project", "recon", "--from", "2026-01-10", "--to", "2026-01-11",
                "--format", "json", "--external-csv", export.toString());
        assertEquals(BrokerCli.BROKEN, exit, err.toString());
        JsonPath json = JsonPath.from(out.toString());
        List<String> kinds = json.getList("discrepancies.kind");
        assertTrue(kinds.containsAll(List.of("charge_without_decision", "decision_paid_twice", "amount_mismatch",
                "spt_without_receipt", "receipt_without_spt", "external_charge_not_authorized")), kinds.toString());
        assertEquals(rows(report("json", null).then().extract().jsonPath()).keySet(), rows(json).keySet());
        assertTrue(err.toString().contains("discrepancies found"));

        StringWriter csv = new StringWriter();
        exit = BrokerCli.run(new PrintWriter(csv), new PrintWriter(new StringWriter()), "reconcile", "--jdbc-url", url,
                "--user", "postgres", "--project", "recon", "--from", "2026-01-13", "--to", "2026-01-13");
        assertEquals(BrokerCli.OK, exit, "one clean charge that day");
        assertEquals(1, parseCsv(csv.toString()).size());
        assertEquals(BrokerCli.USAGE, BrokerCli.run(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()),
                "reconcile", "--jdbc-url", url, "--format", "xml"));
    }

    // ---- helpers ----

    private static Map<String, List<String>> sorted(Map<String, List<String>> byKind) {
        Map<String, List<String>> result = new LinkedHashMap<>();
        byKind.forEach((k, v) -> result.put(k, v.stream().sorted().toList()));
        return result;
    }

    private static Map<String, Object> only(List<Map<String, Object>> found, String kind) {
        List<Map<String, Object>> of = found.stream().filter(d -> kind.equals(d.get("kind"))).toList();
        assertEquals(1, of.size(), kind + ": " + found);
        return of.get(0);
    }

    private static Map<String, Map<String, Object>> rows(JsonPath json) {
        Map<String, Map<String, Object>> rows = new LinkedHashMap<>();
        for (Map<String, Object> row : json.<Map<String, Object>>getList("charges")) {
            rows.put((String) row.get("payment_id"), row);
        }
        return rows;
    }

    private static Map<String, Object> total(String key, int charges, String amount) {
        return Map.of("key", key, "currency", "usd", "charges", charges, "amount", amount);
    }

    private static List<Map<String, String>> parseCsv(String csv) throws Exception {
        try (MappingIterator<Map<String, String>> it = new CsvMapper().readerForMapOf(String.class)
                .with(CsvSchema.emptySchema().withHeader()).readValues(csv)) {
            List<Map<String, String>> rows = new ArrayList<>();
            while (it.hasNextValue()) {
                rows.add(it.nextValue());
            }
            return rows;
        }
    }
}
