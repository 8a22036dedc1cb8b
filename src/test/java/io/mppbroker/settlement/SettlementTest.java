package io.mppbroker.settlement;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mppbroker.ledger.BudgetReservation;
import io.mppbroker.payment.FakeStripeResource;
import io.mppbroker.payment.Payment;
import io.mppbroker.payment.PaymentPipeline;
import io.mppbroker.payment.PaymentStatus;
import io.mppbroker.payment.PaymentTerms;
import io.mppbroker.payment.SptState;
import io.mppbroker.stripe.MintRequest;
import io.mppbroker.stripe.SptMinter;
import io.mppbroker.testkit.FakeStripe;
import io.mppbroker.testkit.MppTestSeller;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.UUID;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Payments left with an unknown money state are settled from Stripe's view of their token, and nothing is ever
 * minted again or sent to the seller again.
 */
@QuarkusTest
@QuarkusTestResource(value = FakeStripeResource.class, restrictToAnnotatedClass = true)
class SettlementTest {

    static final String AGENT = "Bearer recon-agent-token";

    static MppTestSeller seller;

    @Inject
    Settlement settlement;

    @Inject
    SptMinter minter;

    @Inject
    PaymentPipeline pipeline;

    @BeforeAll
    static void startSeller() {
        seller = MppTestSeller.builder(FakeStripeResource.stripe().baseUrl()).stripeSecretKey("sk_test_seller_settlement").start();
        seller.price("GET", "/charged-then-crashed", "300", "usd");
        seller.respondAfterSettlement("/charged-then-crashed", 500, "{\"error\":\"boom after charging\"}");
        seller.price("GET", "/crashed-before-charging", "400", "usd");
        seller.failBeforeSettlement("/crashed-before-charging", 500, "{\"error\":\"boom before charging\"}");
        seller.price("GET", "/refused", "500", "usd");
        seller.changeAmountAfterChallenge("/refused", "700");
    }

    @AfterAll
    static void stopSeller() {
        seller.close();
    }

    static Response pay(String path) {
        return given().header("Authorization", AGENT).contentType(ContentType.JSON)
                .body(Map.of("task", "t-" + UUID.randomUUID(), "purpose", "settlement test",
                        "request", Map.of("method", "GET", "url", seller.baseUrl() + path)))
                .post("/v1/payments");
    }

    @Test
    void aChargedTokenBecomesPaidUndeliveredAndAnUnusedOneIsRevokedAndReleased() {
        FakeStripe stripe = FakeStripeResource.stripe();
        Response charged = pay("/charged-then-crashed");
        charged.then().statusCode(504);
        assertEquals("charged_not_delivered", charged.path("status"));
        Response unused = pay("/crashed-before-charging");
        unused.then().statusCode(504);
        assertEquals("charged_not_delivered", unused.path("status"));
        String chargedId = charged.path("payment_id");
        String unusedId = unused.path("payment_id");
        assertEquals(BudgetReservation.State.CAPTURED, reservation(unusedId).state, "unknown outcome: budget kept counted");

        int mints = stripe.mintCalls();
        int sellerPayments = seller.payments().size();
        int intents = stripe.paymentIntents().size();
        long sellerCalls = sellerCalls();

        settleUntil(chargedId, p -> p.status != PaymentStatus.CHARGED_NOT_DELIVERED);
        settleUntil(unusedId, p -> p.status != PaymentStatus.CHARGED_NOT_DELIVERED);

        Payment paid = payment(chargedId);
        assertEquals(PaymentStatus.PAID_UNDELIVERED, paid.status);
        assertEquals(SptState.USED, paid.sptState);
        assertEquals(300L, paid.sptAmountCapturedMinor);
        assertNotNull(paid.settledAt);
        assertEquals(BudgetReservation.State.CAPTURED, reservation(chargedId).state);
        given().header("Authorization", AGENT).get("/v1/payments/" + chargedId).then().statusCode(200)
                .body("status", org.hamcrest.Matchers.equalTo("paid_undelivered"))
                .body("failure.detail", org.hamcrest.Matchers.containsString("3.00 usd captured"));

        Payment failed = payment(unusedId);
        assertEquals(PaymentStatus.FAILED, failed.status);
        assertEquals(SptState.REVOKED, failed.sptState);
        assertEquals(0L, failed.sptAmountCapturedMinor);
        assertEquals(BudgetReservation.State.RELEASED, reservation(unusedId).state, "nothing charged: budget given back");
        FakeStripe.IssuedToken token = stripe.issuedTokens().stream().filter(t -> t.id().equals(failed.sptId)).findFirst().orElseThrow();
        assertEquals("revoked", token.deactivatedReason());
        assertEquals(0L, token.amountCaptured());

        // Nothing was minted again, nothing sent to the seller again, nothing charged again.
        assertEquals(mints, stripe.mintCalls());
        assertEquals(sellerPayments, seller.payments().size());
        assertEquals(intents, stripe.paymentIntents().size());
        assertEquals(sellerCalls, sellerCalls());

        // Every state change is an audit line.
        List<Map<String, Object>> chargedAudit = audit(chargedId);
        Map<String, Object> settled = chargedAudit.get(chargedAudit.size() - 1);
        assertEquals("settled", settled.get("event"));
        assertTrue(((String) settled.get("reason")).contains("charged_not_delivered -> paid_undelivered"), (String) settled.get("reason"));
        List<Map<String, Object>> unusedAudit = audit(unusedId);
        Map<String, Object> released = unusedAudit.get(unusedAudit.size() - 1);
        assertEquals("settled", released.get("event"));
        assertTrue(((String) released.get("reason")).contains("never charged and is now revoked"), (String) released.get("reason"));
        assertTrue(((String) released.get("reason")).contains("budget released"));
        for (Map<String, Object> line : List.of(settled, released)) {
            assertFalse(line.toString().contains(failed.sptId), "no token in the audit");
            assertFalse(line.toString().contains(paid.sptId), "no token in the audit");
        }

        // Settled payments are not taken up again.
        assertTrue(settlement.runOnce().stream().noneMatch(o -> o.paymentId().equals(chargedId) || o.paymentId().equals(unusedId)));
        assertEquals(chargedAudit.size(), audit(chargedId).size());
    }

    @Test
    void aRefusedPaymentsTokenIsRevokedAtOnce() {
        Response refused = pay("/refused");
        refused.then().statusCode(502);
        Payment p = payment(refused.path("payment_id"));
        assertEquals(PaymentStatus.FAILED, p.status);
        assertEquals(SptState.REVOKED, p.sptState, "the test-mode token is revoked through the test helper");
        assertEquals("revoked", FakeStripeResource.stripe().issuedTokens().stream()
                .filter(t -> t.id().equals(p.sptId)).findFirst().orElseThrow().deactivatedReason());
    }

    @Test
    void anAbandonedPaymentIsSettledAndAFailedPaymentsExpiredTokenIsRecorded() throws Exception {
        FakeStripe stripe = FakeStripeResource.stripe();
        // A broker that stopped mid-payment: processing for an hour, a live token, budget reserved.
        String abandoned = seedPayment(PaymentStatus.PROCESSING, mint(Duration.ofMinutes(10)), Instant.now().minus(Duration.ofHours(1)));
        // A failed payment whose token could not be revoked at the time and has expired since.
        String expiring = mint(Duration.ofSeconds(2));
        String failedId = seedPayment(PaymentStatus.FAILED, expiring, Instant.now());
        Thread.sleep(2_500);
        int mints = stripe.mintCalls();

        settleUntil(abandoned, p -> p.sptState != SptState.ACTIVE);
        settleUntil(failedId, p -> p.sptState != SptState.ACTIVE);

        Payment a = payment(abandoned);
        assertEquals(PaymentStatus.FAILED, a.status);
        assertEquals(SptState.REVOKED, a.sptState);
        assertEquals(BudgetReservation.State.RELEASED, reservation(abandoned).state);
        assertTrue(a.failureDetail.contains("nothing was paid"), a.failureDetail);

        Payment f = payment(failedId);
        assertEquals(PaymentStatus.FAILED, f.status);
        assertEquals(SptState.EXPIRED, f.sptState);
        assertNull(f.settledAt, "the payment itself did not change");
        List<Map<String, Object>> lines = audit(failedId);
        assertEquals("spt_expired", lines.get(lines.size() - 1).get("event"));
        assertEquals(mints, stripe.mintCalls());
    }

    @Test
    void whenStripeCannotAnswerThePaymentIsRetriedLaterAndLeftAsItWas() throws Exception {
        FakeStripe stripe = FakeStripeResource.stripe();
        String id = seedPayment(PaymentStatus.CHARGED_NOT_DELIVERED, mint(Duration.ofMinutes(10)), Instant.now());
        stripe.failNextRequests(100, 503);
        List<Settlement.Outcome> outcomes;
        try {
            outcomes = settlement.runOnce();
        } finally {
            stripe.failNextRequests(0, 503);
        }
        assertTrue(outcomes.contains(new Settlement.Outcome(id, Settlement.Result.RETRY)), outcomes.toString());
        Payment p = payment(id);
        assertEquals(PaymentStatus.CHARGED_NOT_DELIVERED, p.status);
        assertEquals(SptState.ACTIVE, p.sptState);
        Object[] bookkeeping = QuarkusTransaction.requiringNew().call(() -> (Object[]) Payment.getEntityManager()
                .createNativeQuery("SELECT settlement_attempts, settlement_next_at IS NOT NULL, settlement_claimed_until IS NULL FROM payment WHERE id = :id")
                .setParameter("id", id).getSingleResult());
        assertEquals(1, ((Number) bookkeeping[0]).intValue());
        assertEquals(Boolean.TRUE, bookkeeping[1], "a retry time is set");
        assertEquals(Boolean.TRUE, bookkeeping[2], "the claim is given up");
        // Not due yet: the next run leaves it alone.
        assertTrue(settlement.runOnce().stream().noneMatch(o -> o.paymentId().equals(id)));
    }

    @Test
    void aPaymentAbandonedBeforeMintingFailsAsInterruptedAndTheWaitingAgentIsTold() throws Exception {
        // A node died after deciding AUTO (processing) or after an approval (approved): no token, budget reserved.
        String processing = seedPayment(PaymentStatus.PROCESSING, null, Instant.now().minus(Duration.ofHours(1)));
        String approved = seedPayment(PaymentStatus.APPROVED, null, Instant.now().minus(Duration.ofHours(1)));
        String fresh = seedPayment(PaymentStatus.PROCESSING, null, Instant.now());
        // The agent re-attached and waits for the outcome.
        CompletableFuture<Response> waiting = CompletableFuture.supplyAsync(() -> given().header("Authorization", AGENT)
                .queryParam("wait", 20).get("/v1/payments/" + processing));
        Thread.sleep(500);

        List<Settlement.Outcome> outcomes = settlement.runOnce();

        assertTrue(outcomes.contains(new Settlement.Outcome(processing, Settlement.Result.INTERRUPTED)), outcomes.toString());
        assertTrue(outcomes.contains(new Settlement.Outcome(approved, Settlement.Result.INTERRUPTED)), outcomes.toString());
        assertTrue(outcomes.stream().noneMatch(o -> o.paymentId().equals(fresh)), "a payment still being worked on is left alone");
        for (String id : List.of(processing, approved)) {
            Payment p = payment(id);
            assertEquals(PaymentStatus.FAILED, p.status);
            assertEquals("interrupted", p.failureCode);
            assertTrue(p.failureDetail.contains("no money moved"), p.failureDetail);
            assertEquals(BudgetReservation.State.RELEASED, reservation(id).state);
            assertTrue(audit(id).stream().anyMatch(l -> "settled".equals(l.get("event"))
                    && String.valueOf(l.get("reason")).contains("failed")), "an audit line says so");
        }
        assertEquals(PaymentStatus.PROCESSING, payment(fresh).status);
        assertEquals(BudgetReservation.State.RESERVED, reservation(fresh).state);

        Response answer = waiting.get(30, TimeUnit.SECONDS);
        answer.then().statusCode(200).body("status", equalTo("failed")).body("failure.code", equalTo("interrupted"));
        // Claimed once: the next run does not take it up again.
        assertTrue(settlement.runOnce().stream().noneMatch(o -> o.paymentId().equals(processing)));
    }

    @Test
    void aTokenMintedAfterThePaymentWasFailedAsInterruptedIsRevokedAndNeverUsed() {
        String id = seedPayment(PaymentStatus.PROCESSING, null, Instant.now().minus(Duration.ofHours(1)));
        assertTrue(settlement.runOnce().contains(new Settlement.Outcome(id, Settlement.Result.INTERRUPTED)));
        int mints = FakeStripeResource.stripe().mintCalls();

        // The node was only slow, not dead: it mints now and must not use the token.
        Optional<String> token = pipeline.mintForAgent(id, new PaymentTerms("stripe", "charge", new BigDecimal("2.50"), 250L,
                "usd", "seeded", "net_test_seeded", "ch_late"), Instant.now().plus(Duration.ofMinutes(5)));

        assertTrue(token.isEmpty(), "the late token is not handed out");
        assertEquals(mints + 1, FakeStripeResource.stripe().mintCalls());
        Payment p = payment(id);
        assertEquals(PaymentStatus.FAILED, p.status);
        assertEquals("interrupted", p.failureCode);
        assertEquals(SptState.REVOKED, p.sptState);
        assertEquals("revoked", FakeStripeResource.stripe().issuedTokens().stream()
                .filter(t -> t.id().equals(p.sptId)).findFirst().orElseThrow().deactivatedReason());
        assertEquals(BudgetReservation.State.RELEASED, reservation(id).state);
    }

    // ---- helpers ----

    private void settleUntil(String paymentId, Predicate<Payment> done) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!done.test(payment(paymentId))) {
            assertTrue(System.nanoTime() < deadline, "payment " + paymentId + " was not settled");
            settlement.runOnce(); // the scheduled job may take it first; either way it ends the same
        }
    }

    private String mint(Duration ttl) throws Exception {
        return minter.mint(new MintRequest("pm_card_visa", "usd", 250, Instant.now().plus(ttl), "net_test_seeded",
                "seed_" + UUID.randomUUID(), Map.of())).id();
    }

    /** A payment of project recon as the pipeline would have left it with a minted token. */
    private static String seedPayment(PaymentStatus status, String sptId, Instant updatedAt) {
        String id = "pay_seed_" + UUID.randomUUID();
        QuarkusTransaction.requiringNew().run(() -> {
            Payment p = new Payment();
            p.id = id;
            p.project = "recon";
            p.agent = "recon-agent";
            p.task = "t-seeded";
            p.requestHash = "0".repeat(64);
            p.requestMethod = "GET";
            p.requestUrl = "http://127.0.0.1:1/seeded";
            p.requestHeaders = Map.of();
            p.status = status;
            p.sellerHost = "127.0.0.1";
            p.amount = new BigDecimal("2.50");
            p.amountMinor = 250L;
            p.currency = "usd";
            p.sptId = sptId;
            p.sptState = sptId == null ? null : SptState.ACTIVE;
            p.sptMintedAt = sptId == null ? null : updatedAt;
            p.createdAt = updatedAt;
            p.updatedAt = updatedAt;
            p.persist();
            BudgetReservation r = new BudgetReservation();
            r.paymentId = id;
            r.project = "recon";
            r.task = p.task;
            r.sellerHost = p.sellerHost;
            r.amount = p.amount;
            r.currency = "usd";
            r.state = status == PaymentStatus.FAILED ? BudgetReservation.State.RELEASED
                    : status == PaymentStatus.CHARGED_NOT_DELIVERED ? BudgetReservation.State.CAPTURED
                    : BudgetReservation.State.RESERVED;
            r.createdAt = updatedAt;
            r.updatedAt = updatedAt;
            r.persist();
        });
        return id;
    }

    private static Payment payment(String id) {
        return QuarkusTransaction.requiringNew().call(() -> Payment.<Payment>findById(id));
    }

    private static BudgetReservation reservation(String paymentId) {
        return QuarkusTransaction.requiringNew().call(() -> BudgetReservation.forPayment(paymentId).orElseThrow());
    }

    private static List<Map<String, Object>> audit(String paymentId) {
        Payment p = payment(paymentId);
        return given().header("Authorization", "Bearer recon-approver-token").queryParam("project", "recon")
                .queryParam("task", p.task).get("/v1/audit").then().statusCode(200).extract().jsonPath()
                .<Map<String, Object>>getList("$").stream().filter(l -> paymentId.equals(l.get("payment_id"))).toList();
    }

    private static long sellerCalls() {
        return seller.challengesIssued() + seller.payments().size();
    }
}
