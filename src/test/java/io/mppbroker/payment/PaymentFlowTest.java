package io.mppbroker.payment;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mppbroker.testkit.FakeStripe;
import io.mppbroker.testkit.MppTestSeller;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The paying path through the broker's HTTP API, on the real PostgreSQL, against a seller that follows
 * the MPP seller rules and a fake Stripe that follows Stripe's public API.
 */
@QuarkusTest
@QuarkusTestResource(value = FakeStripeResource.class, restrictToAnnotatedClass = true)
class PaymentFlowTest {

    static final String AGENT = "Bearer qa-agent-token";
    static final String APPROVER = "Bearer qa-approver-token";
    static final String OTHER_APPROVER = "Bearer other-approver-token";

    static MppTestSeller seller;
    static MppTestSeller deniedSeller;

    @BeforeAll
    static void startSeller() {
        io.restassured.RestAssured.enableLoggingOfRequestAndResponseIfValidationFails();
        seller = MppTestSeller.builder(FakeStripeResource.stripe().baseUrl()).stripeSecretKey("sk_test_seller_quarkus_tests").start();
        seller.price("GET", "/report", "500", "usd");          // 5.00: auto tier
        seller.price("GET", "/dataset", "5000", "usd");        // 50.00: ask tier
        seller.price("GET", "/raised", "5000", "usd");
        seller.price("GET", "/expensive", "120000", "usd");    // 1200.00: above the ceiling
        seller.price("POST", "/translate", "300", "usd");
        seller.price("GET", "/drifting", "500", "usd");
        seller.price("GET", "/slow", "200", "usd");
        seller.respondWithoutPayment("/free", 200, "free content");
        seller.price("GET", "/big", "9500", "usd");            // 95.00: ask tier, then the task budget is nearly used
        seller.price("GET", "/small", "900", "usd");
        seller.price("GET", "/minted-twice", "400", "usd");
        seller.alsoOffer("GET", "/subscription-only", "stripe", "subscription",
                "{\"amount\":\"1000\",\"currency\":\"usd\",\"period\":\"month\"}");
        deniedSeller = MppTestSeller.builder(FakeStripeResource.stripe().baseUrl())
                .stripeSecretKey("sk_test_denied_seller").networkId("profile_TestDeniedSeller1").start();
        deniedSeller.price("GET", "/anything", "100", "usd");
    }

    @AfterAll
    static void stopSeller() {
        seller.close();
        deniedSeller.close();
    }

    static String task() {
        return "t-" + UUID.randomUUID();
    }

    static Map<String, Object> fetch(String method, String path, String task) {
        return Map.of("task", task, "purpose", "quarkus test",
                "request", Map.of("method", method, "url", seller.baseUrl() + path, "headers", Map.of("Accept", "text/plain")));
    }

    static Response pay(Object body) {
        return given().header("Authorization", AGENT).contentType(ContentType.JSON).body(body).when().post("/v1/payments");
    }

    @Test
    void autoTierPaysAndLinksTheReceiptToTheDecision() {
        String task = task();
        Response r = pay(fetch("GET", "/report", task));
        r.then().statusCode(200)
                .body("status", equalTo("paid"))
                .body("amount", equalTo("5.00"))
                .body("currency", equalTo("usd"))
                .body("decision.tier", equalTo("auto"))
                .body("decision.basis", equalTo("policy"))
                .body("decision.rule", equalTo("tiers.auto_below"))
                .body("receipt.reference", startsWith("pi_"))
                .body("response.status", equalTo(200))
                .body("spt_id", nullValue());
        String reference = r.path("receipt.reference");
        FakeStripe.PaymentIntentRecord intent = FakeStripeResource.stripe().paymentIntents().stream()
                .filter(pi -> pi.id().equals(reference)).findFirst().orElseThrow();
        assertEquals("succeeded", intent.status());
        assertEquals(500, intent.amount());
        // The SPT was capped at exactly the challenged amount.
        assertTrue(FakeStripeResource.stripe().issuedTokens().stream()
                .anyMatch(t -> t.id().equals(intent.sharedPaymentGrantedToken()) && t.maxAmount() == 500 && t.currency().equals("usd")));

        List<Map<String, Object>> audit = given().header("Authorization", AGENT).queryParam("task", task)
                .get("/v1/audit").then().statusCode(200).extract().jsonPath().getList("$");
        assertEquals(List.of("request", "challenge_received", "decision", "spt_minted", "paid"),
                audit.stream().map(l -> l.get("event")).toList());
        Map<String, Object> paid = audit.get(audit.size() - 1);
        assertEquals(reference, paid.get("receipt_reference"));
        assertEquals(r.path("decision.id"), paid.get("decision_id"));
        assertEquals("mpp:pay", paid.get("action"));
        assertEquals("ALLOW", audit.get(2).get("decision"));
    }

    @Test
    void aResponseThatIsNotA402IsReturnedAsIs() {
        pay(fetch("GET", "/free", task())).then().statusCode(200)
                .body("status", equalTo("not_required"))
                .body("response.status", equalTo(200))
                .body("response.body", equalTo("free content"));
    }

    @Test
    void aboveTheCeilingIsDeniedWithTheRuleAndTheNumbers() {
        int mintsBefore = FakeStripeResource.stripe().mintCalls();
        pay(fetch("GET", "/expensive", task())).then().statusCode(403)
                .contentType("application/problem+json")
                .body("type", equalTo("https://mpp-broker.dev/problems/payment-denied"))
                .body("rule", equalTo("tiers.ceiling"))
                .body("detail", containsString("1200.00"))
                .body("detail", containsString("1000.00"));
        assertEquals(mintsBefore, FakeStripeResource.stripe().mintCalls());
    }

    @Test
    void askTierWaitsForAHumanThenPaysAFreshChallenge() {
        String task = task();
        Response pending = pay(fetch("GET", "/dataset", task));
        pending.then().statusCode(202)
                .header("Location", containsString("/v1/payments/pay_"))
                .body("status", equalTo("pending_approval"))
                .body("approval.tier", equalTo("ask"))
                .body("approval.reason", containsString("50.00"));
        String id = pending.path("id");
        String approvalId = pending.path("approval.id");
        int challengesBefore = seller.challengesIssued();

        // Agents never approve; approvers of other projects cannot either.
        given().header("Authorization", AGENT).contentType(ContentType.JSON).body(Map.of("decision", "approve"))
                .post("/v1/approvals/" + approvalId).then().statusCode(403);
        given().header("Authorization", OTHER_APPROVER).contentType(ContentType.JSON).body(Map.of("decision", "approve"))
                .post("/v1/approvals/" + approvalId).then().statusCode(403);

        given().header("Authorization", APPROVER).contentType(ContentType.JSON)
                .body(Map.of("decision", "approve", "note", "ok for the Q3 report"))
                .post("/v1/approvals/" + approvalId).then().statusCode(200)
                .body("approval.status", equalTo("approved"))
                .body("approval.decided_by", equalTo("qa-approver"));
        // A second answer does not count.
        given().header("Authorization", APPROVER).contentType(ContentType.JSON).body(Map.of("decision", "deny"))
                .post("/v1/approvals/" + approvalId).then().statusCode(409)
                .body("decided_by", equalTo("qa-approver"));

        given().header("Authorization", AGENT).queryParam("wait", 20).get("/v1/payments/" + id).then()
                .statusCode(200)
                .body("status", equalTo("paid"))
                .body("decision.basis", equalTo("human"))
                .body("decision.approved_by", equalTo("qa-approver"))
                .body("decision.note", equalTo("ok for the Q3 report"))
                .body("receipt.reference", startsWith("pi_"));
        assertTrue(seller.challengesIssued() > challengesBefore, "the broker asked the seller for a fresh challenge");
    }

    @Test
    void aFreshChallengeAboveTheApprovedMaximumGoesBackToPending() {
        seller.changeAmountAfterChallenge("/raised", "6000"); // 50.00 in the first challenge, 60.00 in the next
        Response pending = pay(fetch("GET", "/raised", task()));
        String id = pending.path("id");
        given().header("Authorization", APPROVER).contentType(ContentType.JSON)
                .body(Map.of("decision", "approve", "max_amount", "55.00"))
                .post("/v1/approvals/" + pending.path("approval.id")).then().statusCode(200);
        // First wake-up: approved. Wait until the broker has re-checked the seller.
        Response after = awaitStatus(id, "pending_approval");
        after.then().body("approval.reason", containsString("60.00"))
                .body("approval.reason", containsString("55.00"))
                .body("approval.status", equalTo("pending"));
    }

    @Test
    void aSellerThatChangesTheAmountOnRetryIsRefusedAndNothingIsCharged() {
        seller.changeAmountAfterChallenge("/drifting", "900");
        String task = task();
        int intentsBefore = FakeStripeResource.stripe().paymentIntents().size();
        pay(fetch("GET", "/drifting", task)).then().statusCode(502)
                .contentType("application/problem+json")
                .body("status", equalTo("failed"))
                .body("detail", containsString("9.00"));
        assertEquals(intentsBefore, FakeStripeResource.stripe().paymentIntents().size());
    }

    @Test
    void aRepeatedIdempotencyKeyReturnsTheFirstResultAndPaysOnce() {
        String key = UUID.randomUUID().toString();
        Map<String, Object> body = fetch("GET", "/report", task());
        int mints = FakeStripeResource.stripe().mintCalls();
        String first = given().header("Authorization", AGENT).header("Idempotency-Key", key).contentType(ContentType.JSON)
                .body(body).post("/v1/payments").then().statusCode(200).extract().path("id");
        String second = given().header("Authorization", AGENT).header("Idempotency-Key", key).contentType(ContentType.JSON)
                .body(body).post("/v1/payments").then().statusCode(200).extract().path("id");
        assertEquals(first, second);
        assertEquals(mints + 1, FakeStripeResource.stripe().mintCalls());
        given().header("Authorization", AGENT).header("Idempotency-Key", key).contentType(ContentType.JSON)
                .body(fetch("GET", "/dataset", task())).post("/v1/payments").then().statusCode(422);
    }

    @Test
    void concurrentRequestsWithOneIdempotencyKeyPayOnce() throws Exception {
        String key = UUID.randomUUID().toString();
        Map<String, Object> body = fetch("GET", "/report", task());
        int mints = FakeStripeResource.stripe().mintCalls();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
        List<java.util.concurrent.Future<Response>> replies = new java.util.ArrayList<>();
        for (int i = 0; i < 8; i++) {
            replies.add(pool.submit(() -> given().header("Authorization", AGENT).header("Idempotency-Key", key)
                    .contentType(ContentType.JSON).body(body).post("/v1/payments")));
        }
        java.util.Set<String> ids = new java.util.HashSet<>();
        for (var f : replies) {
            Response r = f.get();
            assertEquals(200, r.statusCode(), r.asString());
            assertEquals("paid", r.path("status"));
            ids.add(r.path("id"));
        }
        pool.shutdown();
        assertEquals(1, ids.size(), "one payment for one key");
        assertEquals(mints + 1, FakeStripeResource.stripe().mintCalls(), "one token minted");
    }

    @Test
    void aLongerWaitThanAllowedIsCappedAt55Seconds() {
        given().header("Authorization", AGENT).header("Prefer", "wait=120").contentType(ContentType.JSON)
                .body(fetch("GET", "/report", task())).post("/v1/payments")
                .then().statusCode(200).header("Preference-Applied", "wait=55");
    }

    @Test
    void aSellerTimeoutAfterTheCredentialIsChargedNotDelivered() {
        seller.delayAfterSettlement("/slow", Duration.ofSeconds(6));
        Response r = pay(fetch("GET", "/slow", task()));
        r.then().statusCode(504).body("status", equalTo("charged_not_delivered"));
        // The seller did take the money; the broker must not have paid twice.
        long intents = FakeStripeResource.stripe().paymentIntents().stream().filter(pi -> pi.amount() == 200).count();
        assertEquals(1, intents);
    }

    @Test
    void aPostBodyIsReplayedByteForByte() {
        Map<String, Object> body = Map.of("task", task(), "purpose", "translate",
                "request", Map.of("method", "POST", "url", seller.baseUrl() + "/translate",
                        "headers", Map.of("Content-Type", "application/json"),
                        "body", "{\"text\": \"bonjour\",  \"to\":\"en\"}"));
        pay(body).then().statusCode(200).body("status", equalTo("paid"));
    }

    @Test
    void badInputGetsAProblem() {
        given().header("Authorization", AGENT).contentType(ContentType.JSON).body("{\"task\":")
                .post("/v1/payments").then().statusCode(400).contentType("application/problem+json");
        given().header("Authorization", AGENT).contentType(ContentType.JSON).body(Map.of("purpose", "x"))
                .post("/v1/payments").then().statusCode(400).body("detail", containsString("task"));
        given().header("Authorization", "Bearer nobody").contentType(ContentType.JSON).body(fetch("GET", "/report", task()))
                .post("/v1/payments").then().statusCode(401).contentType("application/problem+json");
        given().header("Authorization", AGENT).contentType(ContentType.JSON)
                .body(Map.of("task", "t", "request", Map.of("method", "GET", "url", "http://10.0.0.7/admin")))
                .post("/v1/payments").then().statusCode(403).body("type", containsString("insecure-seller"));
        given().header("Authorization", AGENT).get("/v1/payments/pay_doesnotexist").then().statusCode(404)
                .contentType("application/problem+json");
    }

    @Test
    void overTheTaskBudgetAsksAHumanInsteadOfRefusing() {
        String task = task();
        Response big = pay(fetch("GET", "/big", task));
        given().header("Authorization", APPROVER).contentType(ContentType.JSON).body(Map.of("decision", "approve"))
                .post("/v1/approvals/" + big.path("approval.id")).then().statusCode(200);
        awaitStatus(big.path("id"), "paid");
        pay(fetch("GET", "/small", task)).then().statusCode(202)
                .body("approval.tier", equalTo("over_budget"))
                .body("decision.rule", equalTo("budgets.per_task"))
                .body("approval.reason", containsString("104.00"))
                .body("approval.reason", containsString("100.00"));
    }

    @Test
    void aSellerOnTheDenyListIsRefused() {
        Response r = given().header("Authorization", AGENT).contentType(ContentType.JSON)
                .body(Map.of("task", task(), "request", Map.of("method", "GET", "url", deniedSeller.baseUrl() + "/anything")))
                .post("/v1/payments");
        r.then().statusCode(403).body("rule", equalTo("sellers.deny")).body("detail", containsString("profile_TestDeniedSeller1"));
    }

    @Test
    void aSubscriptionChallengeIsRefusedWithAClearReason() {
        pay(fetch("GET", "/subscription-only", task())).then().statusCode(403)
                .body("rule", equalTo("intent"))
                .body("detail", containsString("stripe/subscription"))
                .body("detail", containsString("stripe/charge only"));
    }

    @Test
    void aRetriedMintUsesOneIdempotencyKeyAndCreatesOneToken() {
        FakeStripe stripe = FakeStripeResource.stripe();
        int tokensBefore = stripe.issuedTokens().size();
        stripe.failNextRequests(1, 500); // stripe-java retries the POST with the same Idempotency-Key
        Response r = pay(fetch("GET", "/minted-twice", task()));
        r.then().statusCode(200).body("status", equalTo("paid"));
        String paymentId = r.path("id");
        List<FakeStripe.RecordedRequest> mints = stripe.requests().stream()
                .filter(q -> q.method().equals("POST") && q.path().contains("shared_payment"))
                .filter(q -> q.idempotencyKey() != null && q.idempotencyKey().startsWith("mppb_" + paymentId + "_"))
                .toList();
        assertEquals(2, mints.size(), "one failed attempt and one retry");
        assertEquals(mints.get(0).idempotencyKey(), mints.get(1).idempotencyKey());
        assertEquals("2026-07-29.preview", mints.get(1).stripeVersion());
        assertEquals(tokensBefore + 1, stripe.issuedTokens().size());
    }

    @Test
    void privateAndMetadataAddressesAreRefused() {
        for (String url : List.of("https://10.1.2.3/x", "https://169.254.169.254/latest/meta-data", "https://[::1]/x",
                "https://192.168.0.10/x")) {
            given().header("Authorization", AGENT).contentType(ContentType.JSON)
                    .body(Map.of("task", "t", "request", Map.of("method", "GET", "url", url)))
                    .post("/v1/payments").then().statusCode(403)
                    .body("type", equalTo("https://mpp-broker.dev/problems/seller-address-refused"));
        }
    }

    @Test
    void theAuditTableRefusesUpdatesAndDeletes() {
        pay(fetch("GET", "/free", task())).then().statusCode(200);
        for (String sql : List.of("UPDATE audit_event SET reason = 'edited'", "DELETE FROM audit_event", "TRUNCATE audit_event")) {
            RuntimeException refused = org.junit.jupiter.api.Assertions.assertThrows(RuntimeException.class, () ->
                    io.quarkus.narayana.jta.QuarkusTransaction.requiringNew().run(() ->
                            io.mppbroker.audit.AuditEvent.getEntityManager().createNativeQuery(sql).executeUpdate()));
            assertTrue(rootMessage(refused).contains("append-only"), rootMessage(refused));
        }
    }

    @Test
    void metricsAndOpenApiDescribeThePayingPath() {
        pay(fetch("GET", "/report", task())).then().statusCode(200);
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        assertTrue(metrics.contains("broker_payments_total{outcome=\"paid\",tier=\"auto\"}"), metrics);
        assertTrue(metrics.contains("broker_decision_latency_seconds_count"), "decision latency");
        assertTrue(metrics.contains("broker_approvals_pending"), "pending approvals gauge");
        given().get("/q/openapi").then().statusCode(200).body(containsString("/v1/payments"))
                .body(containsString("/v1/approvals/{id}"));
        given().get("/q/health/ready").then().statusCode(200).body(containsString("UP"));
    }

    static String rootMessage(Throwable t) {
        StringBuilder all = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            all.append(c.getMessage()).append(" | ");
        }
        return all.toString();
    }

    static Response awaitStatus(String id, String status) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        Response r;
        do {
            r = given().header("Authorization", AGENT).queryParam("wait", 2).get("/v1/payments/" + id);
        } while (!status.equals(r.path("status")) && System.nanoTime() < deadline);
        assertEquals(status, r.path("status"), r.asString());
        return r;
    }
}
