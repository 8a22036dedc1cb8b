package io.mppbroker.payment;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mppbroker.ledger.BudgetReservation;
import io.mppbroker.testkit.FakeStripe;
import io.mppbroker.testkit.MppTestSeller;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A project with {@code mode: observe} (src/test/resources/test-budgets/observe.yaml): nothing the policy says
 * blocks a payment, and what it would have said is on the decision, in the payment view and in the audit line.
 */
@QuarkusTest
@QuarkusTestResource(value = FakeStripeResource.class, restrictToAnnotatedClass = true)
class ObserveModeTest {

    static final String AGENT = "Bearer observe-agent-token";

    static MppTestSeller seller;

    @BeforeAll
    static void start() {
        RestAssured.enableLoggingOfRequestAndResponseIfValidationFails();
        seller = MppTestSeller.builder(FakeStripeResource.stripe().baseUrl()).stripeSecretKey("sk_test_observe_seller").start();
        seller.price("GET", "/expensive", "120000", "usd"); // 1200.00: above the 1000.00 ceiling
        seller.price("GET", "/dataset", "5000", "usd");     // 50.00: one approver would decide
        seller.price("GET", "/big", "9500", "usd");         // 95.00
        seller.price("GET", "/report", "500", "usd");       // 5.00: automatic anyway
        seller.price("GET", "/euro", "500", "eur");         // another currency: still refused
    }

    @AfterAll
    static void stop() {
        seller.close();
    }

    static Response pay(String path, String task) {
        return given().header("Authorization", AGENT).contentType(ContentType.JSON)
                .body(Map.of("task", task, "purpose", "observe mode test",
                        "request", Map.of("method", "GET", "url", seller.baseUrl() + path)))
                .post("/v1/payments");
    }

    static List<Map<String, Object>> audit(String task) {
        return given().header("Authorization", AGENT).queryParam("task", task).get("/v1/audit")
                .then().statusCode(200).extract().jsonPath().getList("$");
    }

    static Map<String, Object> decisionLine(String task) {
        return audit(task).stream().filter(l -> "decision".equals(l.get("event"))).findFirst().orElseThrow();
    }

    static BudgetReservation reservation(String paymentId) {
        return QuarkusTransaction.requiringNew().call(() -> BudgetReservation.forPayment(paymentId).orElseThrow());
    }

    @Test
    void aPaymentAboveTheCeilingIsPaidAndTheDenialItWouldHaveBeenIsRecorded() {
        String task = "t-" + UUID.randomUUID();
        Response r = pay("/expensive", task);
        r.then().statusCode(200)
                .body("status", equalTo("paid"))
                .body("amount", equalTo("1200.00"))
                .body("approval", nullValue())
                .body("decision.tier", equalTo("auto"))
                .body("decision.basis", equalTo("autonomous"))
                .body("decision.rule", equalTo("mode"))
                .body("decision.observed.tier", equalTo("deny"))
                .body("decision.observed.rule", equalTo("tiers.ceiling"))
                .body("decision.observed.reason", equalTo("amount 1200.00 usd is above the ceiling 1000.00"))
                .body("receipt.reference", startsWith("pi_"));

        // Paid with a token capped at exactly the challenged amount.
        String reference = r.path("receipt.reference");
        FakeStripe.PaymentIntentRecord intent = FakeStripeResource.stripe().paymentIntents().stream()
                .filter(pi -> pi.id().equals(reference)).findFirst().orElseThrow();
        assertEquals(120000, intent.amount());
        assertTrue(FakeStripeResource.stripe().issuedTokens().stream()
                .anyMatch(t -> t.id().equals(intent.sharedPaymentGrantedToken()) && t.maxAmount() == 120000));

        Map<String, Object> decision = decisionLine(task);
        assertEquals("ALLOW", decision.get("decision"));
        assertEquals("observe mode: would have been DENY (tiers.ceiling: amount 1200.00 usd is above the ceiling 1000.00)",
                decision.get("reason"));
        assertEquals(r.path("decision.id"), decision.get("decision_id"));
        assertEquals(List.of("request", "challenge_received", "decision", "spt_minted", "paid"),
                audit(task).stream().map(l -> l.get("event")).toList());

        // The spend is in the ledger like any payment's.
        BudgetReservation spent = reservation(r.path("id"));
        assertEquals(BudgetReservation.State.CAPTURED, spent.state);
        assertEquals(0, new BigDecimal("1200.00").compareTo(spent.amount));
    }

    @Test
    void aPaymentThatWouldAskIsPaidWithoutWaitingForAHuman() {
        String task = "t-" + UUID.randomUUID();
        Response r = pay("/dataset", task);
        r.then().statusCode(200)
                .body("status", equalTo("paid"))
                .body("approval", nullValue())
                .body("decision.basis", equalTo("autonomous"))
                .body("decision.observed.tier", equalTo("ask"))
                .body("decision.observed.rule", equalTo("tiers.auto_below"))
                .body("decision.observed.reason", equalTo("amount 50.00 usd is not below auto_below 10.00: one approver decides"));
        assertEquals("observe mode: would have been ASK (tiers.auto_below: amount 50.00 usd is not below auto_below 10.00:"
                + " one approver decides)", decisionLine(task).get("reason"));
        assertEquals(BudgetReservation.State.CAPTURED, reservation(r.path("id")).state);

        // The same task would now exceed its 100.00 budget (the observed payment counts): still paid.
        pay("/big", task).then().statusCode(200)
                .body("status", equalTo("paid"))
                .body("decision.observed.tier", equalTo("over_budget"))
                .body("decision.observed.reason", equalTo("task " + task + " would spend 145.00 of 100.00 usd (50.00 spent + 95.00 now)"));
    }

    @Test
    void aPaymentTheBrokerWouldPayAnywayStillNamesTheObservedVerdict() {
        pay("/report", "t-" + UUID.randomUUID()).then().statusCode(200)
                .body("status", equalTo("paid"))
                .body("decision.basis", equalTo("autonomous"))
                .body("decision.observed.tier", equalTo("auto"))
                .body("decision.observed.rule", equalTo("tiers.auto_below"));
    }

    @Test
    void aCurrencyTheLedgerCannotCountIsStillRefused() {
        pay("/euro", "t-" + UUID.randomUUID()).then().statusCode(403)
                .body("rule", equalTo("currency"));
    }

    @Test
    void theReconciliationReportShowsWhatEnforcingWouldHaveDone() {
        String task = "t-" + java.util.UUID.randomUUID();
        pay("/expensive", task).then().statusCode(200).body("status", equalTo("paid"));
        List<Map<String, Object>> rows = given().header("Authorization", "Bearer observe-approver-token")
                .queryParam("project", "observe").get("/v1/reports/reconciliation")
                .then().statusCode(200).extract().jsonPath().getList("charges");
        Map<String, Object> row = rows.stream().filter(r -> task.equals(r.get("task"))).findFirst().orElseThrow();
        assertEquals("autonomous", row.get("basis"));
        assertEquals("deny", row.get("observed_tier"));
        assertEquals("tiers.ceiling", row.get("observed_rule"));
        assertEquals(List.of(), row.get("discrepancies"), "an observe-mode charge is authorized by the broker itself");
    }
}
