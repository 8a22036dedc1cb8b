package io.mppbroker.spt;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mppbroker.payment.FakeStripeResource;
import io.mppbroker.payment.Payment;
import io.mppbroker.settlement.Settlement;
import io.mppbroker.testkit.FakeStripe;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * The SPT drop-in as an mppx client uses it: form posts to the Stripe paths on the broker's gateway, the agent's token
 * as the Stripe key (Basic, as mppx sends it), Stripe-shaped answers. Policy: test-budgets/spt.yaml (auto below
 * 10.00, per-agent mint budget 30.00, ceiling 1000.00); mint holds are 3 s in the test profile.
 */
@QuarkusTest
@QuarkusTestResource(value = FakeStripeResource.class, restrictToAnnotatedClass = true)
class SptDropInTest {

    static final String AGENT = "spt-agent-token";
    static final String AGENT_2 = "spt-agent-2-token";
    static final String AGENT_3 = "spt-agent-3-token";
    static final String AGENT_4 = "spt-agent-4-token";
    static final String TWIN_AGENT = "spt-twin-agent-token";
    static final String APPROVER = "Bearer spt-approver-token";
    static final String SELLER_KEY = "sk_test_spt_seller_account";

    @Inject
    Settlement settlement;

    static FakeStripe stripe() {
        return FakeStripeResource.stripe();
    }

    /** What mppx 0.11.0's CLI posts (cli/plugins/stripe.js), with a live-looking key: seller_details[network_business_profile]. */
    static Map<String, String> form(long amountMinor, String profile) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("payment_method", "pm_card_visa");
        form.put("usage_limits[currency]", "usd");
        form.put("usage_limits[max_amount]", Long.toString(amountMinor));
        form.put("usage_limits[expires_at]", Long.toString(Instant.now().plusSeconds(300).getEpochSecond()));
        form.put("seller_details[network_business_profile]", profile);
        form.put("metadata[order]", "o-1");
        return form;
    }

    static Response mint(String agentToken, Map<String, String> form) {
        return given()
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString((agentToken + ":").getBytes(StandardCharsets.UTF_8)))
                .header("Stripe-Version", "2026-07-29.preview")
                .contentType("application/x-www-form-urlencoded")
                .formParams(form)
                .post("/stripe/v1/shared_payment/issued_tokens");
    }

    static String profile() {
        return "profile_Spt" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    }

    static long paymentsOf(String agent) {
        return QuarkusTransaction.requiringNew().call(() -> Payment.count("agent", agent));
    }

    /** The seller's side: a PaymentIntent confirmed with the token on the seller's own Stripe account, as mppx does. */
    static String sellerCharges(String spt, long amountMinor) {
        return given().baseUri(stripe().baseUrl()).auth().preemptive().basic(SELLER_KEY, "")
                .header("Stripe-Version", "2026-07-29.preview")
                .contentType("application/x-www-form-urlencoded")
                .formParam("amount", amountMinor).formParam("currency", "usd").formParam("confirm", "true")
                .formParam("shared_payment_granted_token", spt)
                .post("/v1/payment_intents").then().statusCode(200).extract().path("id");
    }

    static JsonPath payment(String agentToken, String id) {
        return given().header("Authorization", "Bearer " + agentToken).get("/v1/payments/" + id)
                .then().extract().jsonPath();
    }

    @Test
    void autoTierMintAnswersARealTokenThatTheSellerCanCharge() {
        String profile = profile();
        int mintsBefore = stripe().mintCalls();
        Response r = mint(AGENT, form(500, profile));
        assertEquals(200, r.statusCode(), r.asString());
        JsonPath token = r.jsonPath();
        String spt = token.getString("id");
        assertTrue(spt.startsWith("spt_"));
        assertEquals("shared_payment.issued_token", token.getString("object"));
        assertEquals(500, token.getLong("usage_limits.max_amount"));
        assertEquals("usd", token.getString("usage_limits.currency"));
        assertEquals(profile, token.getString("seller_details.network_business_profile"));
        assertNull(token.get("payment_method"), "the project's card is never shown to the agent");
        assertEquals(mintsBefore + 1, stripe().mintCalls());

        // Stripe holds the token the broker minted with its own key and the project's payment method.
        FakeStripe.IssuedToken minted = stripe().issuedTokens().stream().filter(t -> t.id().equals(spt)).findFirst().orElseThrow();
        assertEquals(500, minted.maxAmount());
        assertEquals("pm_card_visa", minted.paymentMethod());
        assertEquals(profile, minted.networkId());

        String paymentId = token.getString("metadata.mpp_broker_payment_id");
        JsonPath view = payment(AGENT, paymentId);
        assertEquals("minted", view.getString("status"));
        assertEquals("auto", view.getString("decision.tier"));
        assertEquals("5.00", view.getString("amount"));

        // The seller charges it; the agent reports the receipt; the payment is paid and joined in reconciliation.
        String pi = sellerCharges(spt, 500);
        given().header("Authorization", "Bearer " + AGENT_2).contentType("application/json")
                .body(Map.of("reference", pi)).post("/v1/payments/" + paymentId + "/receipt")
                .then().statusCode(404);
        given().header("Authorization", "Bearer " + AGENT).contentType("application/json")
                .body(Map.of("reference", pi, "method", "stripe", "status", "success"))
                .post("/v1/payments/" + paymentId + "/receipt")
                .then().statusCode(200);
        JsonPath paid = payment(AGENT, paymentId);
        assertEquals("paid", paid.getString("status"));
        assertEquals(pi, paid.getString("receipt.reference"));

        JsonPath report = given().header("Authorization", APPROVER).queryParam("project", "spt")
                .get("/v1/reports/reconciliation").then().statusCode(200).extract().jsonPath();
        Map<String, Object> row = report.<Map<String, Object>>getList("charges").stream()
                .filter(c -> paymentId.equals(c.get("payment_id"))).findFirst().orElseThrow();
        assertEquals(pi, row.get("receipt_reference"));
        assertEquals(view.getString("decision.id"), row.get("decision_id"));
        assertEquals("paid", row.get("status"));
        assertEquals(List.of(), row.get("discrepancies"));
    }

    @Test
    void aReceiptCanNameThePaymentByItsToken() {
        Response r = mint(AGENT, form(300, profile()));
        assertEquals(200, r.statusCode(), r.asString());
        String spt = r.jsonPath().getString("id");
        String pi = sellerCharges(spt, 300);
        given().header("Authorization", "Bearer " + AGENT_2).contentType("application/json")
                .body(Map.of("spt", spt, "reference", pi)).post("/v1/payments/receipts").then().statusCode(404);
        String id = given().header("Authorization", "Bearer " + AGENT).contentType("application/json")
                .body(Map.of("spt", spt, "reference", pi)).post("/v1/payments/receipts")
                .then().statusCode(200).extract().path("id");
        assertEquals(r.jsonPath().getString("metadata.mpp_broker_payment_id"), id);
        // The same receipt again is harmless; another PaymentIntent for the same token is a conflict.
        given().header("Authorization", "Bearer " + AGENT).contentType("application/json")
                .body(Map.of("spt", spt, "reference", pi)).post("/v1/payments/receipts").then().statusCode(200);
        given().header("Authorization", "Bearer " + AGENT).contentType("application/json")
                .body(Map.of("spt", spt, "reference", "pi_someOtherIntent")).post("/v1/payments/receipts").then().statusCode(409);
    }

    @Test
    void aTokenTheSellerChargedIsMatchedBySptWhenItExpires() throws InterruptedException {
        Map<String, String> form = form(400, profile());
        form.put("usage_limits[expires_at]", Long.toString(Instant.now().plusSeconds(2).getEpochSecond()));
        Response r = mint(AGENT, form);
        assertEquals(200, r.statusCode(), r.asString());
        String paymentId = r.jsonPath().getString("metadata.mpp_broker_payment_id");
        sellerCharges(r.jsonPath().getString("id"), 400);
        Thread.sleep(3000); // the agent's token is its own to spend until it expires; only then does settlement look
        List<Settlement.Outcome> outcomes = settlement.runOnce();
        assertTrue(outcomes.contains(new Settlement.Outcome(paymentId, Settlement.Result.PAID)), outcomes.toString());
        assertEquals("paid", payment(AGENT, paymentId).getString("status"));
    }

    @Test
    void aboveTheCeilingIsAStripeShapedRefusal() {
        int mintsBefore = stripe().mintCalls();
        Response r = mint(AGENT, form(150_000, profile()));
        assertEquals(402, r.statusCode(), r.asString());
        assertEquals("card_error", r.jsonPath().getString("error.type"));
        assertEquals("payment_denied", r.jsonPath().getString("error.code"));
        assertEquals("tiers.ceiling", r.jsonPath().getString("error.decline_code"));
        assertTrue(r.jsonPath().getString("error.message").contains("1500.00"), r.asString());
        assertNotNull(r.jsonPath().getString("error.payment_id"));
        assertEquals(mintsBefore, stripe().mintCalls());
    }

    @Test
    void aDeniedSellerProfileIsRefused() {
        Response r = mint(AGENT, form(100, "profile_SptDeniedSeller1"));
        assertEquals(402, r.statusCode(), r.asString());
        assertEquals("payment_denied", r.jsonPath().getString("error.code"));
        assertTrue(r.jsonPath().getString("error.message").contains("profile_SptDeniedSeller1"), r.asString());
    }

    @Test
    void overTheBudgetIsHeldThenAnsweredRetryLater() {
        int mintsBefore = stripe().mintCalls();
        Response r = mint(AGENT, form(3_500, profile()));
        assertEquals(409, r.statusCode(), r.asString());
        assertEquals("invalid_request_error", r.jsonPath().getString("error.type"));
        assertEquals("approval_pending", r.jsonPath().getString("error.code"));
        assertTrue(r.jsonPath().getString("error.message").contains("over_budget tier: task spt:spt-agent would spend 35.00 of 30.00"),
                r.asString());
        assertEquals("10", r.header("Retry-After"));
        assertEquals(mintsBefore, stripe().mintCalls());
        assertEquals("over_budget", payment(AGENT, r.jsonPath().getString("error.payment_id")).getString("decision.tier"));
    }

    @Test
    void askTierIsApprovedAndTheRetryGetsTheOneToken() {
        String profile = profile();
        int mintsBefore = stripe().mintCalls();
        Response first = mint(AGENT_3, form(2_000, profile));
        assertEquals(409, first.statusCode(), first.asString());
        assertEquals("approval_pending", first.jsonPath().getString("error.code"));
        String paymentId = first.jsonPath().getString("error.payment_id");
        String approvalId = first.jsonPath().getString("error.approval_id");
        assertNotNull(approvalId);

        given().header("Authorization", APPROVER).contentType("application/json")
                .body(Map.of("decision", "approve", "note", "ok for the report")).post("/v1/approvals/" + approvalId)
                .then().statusCode(200);

        // mppx has no idempotency key: a new challenge gives a new expiry, same amount and seller within the window.
        Response retry = mint(AGENT_3, form(2_000, profile));
        assertEquals(200, retry.statusCode(), retry.asString());
        assertEquals(paymentId, retry.jsonPath().getString("metadata.mpp_broker_payment_id"));
        assertEquals(mintsBefore + 1, stripe().mintCalls());
        JsonPath view = payment(AGENT_3, paymentId);
        assertEquals("minted", view.getString("status"));
        assertEquals("human", view.getString("decision.basis"));
        assertEquals("spt-approver", view.getString("decision.approved_by"));
    }

    @Test
    void aHeldMintReturnsTheTokenWhenApprovedDuringTheHold() throws Exception {
        String profile = profile();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Response> held = pool.submit(() -> mint(AGENT_3, form(1_500, profile)));
            String approvalId = null;
            for (int i = 0; i < 50 && approvalId == null; i++) {
                List<Map<String, Object>> pending = given().header("Authorization", APPROVER).get("/v1/approvals")
                        .then().statusCode(200).extract().jsonPath().getList("");
                approvalId = pending.stream()
                        .filter(a -> profile.equals(((Map<?, ?>) ((Map<?, ?>) a.get("payment")).get("seller")).get("network_profile")))
                        .map(a -> (String) ((Map<?, ?>) a.get("approval")).get("id")).findFirst().orElse(null);
                if (approvalId == null) Thread.sleep(50);
            }
            assertNotNull(approvalId, "the held mint asked for approval");
            given().header("Authorization", APPROVER).contentType("application/json")
                    .body(Map.of("decision", "approve")).post("/v1/approvals/" + approvalId).then().statusCode(200);
            Response answer = held.get();
            assertEquals(200, answer.statusCode(), answer.asString());
            assertTrue(answer.jsonPath().getString("id").startsWith("spt_"));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aDeniedMintStaysDeniedOnRetry() {
        String profile = profile();
        Response first = mint(AGENT_3, form(2_100, profile));
        assertEquals(409, first.statusCode(), first.asString());
        given().header("Authorization", APPROVER).contentType("application/json")
                .body(Map.of("decision", "deny", "note", "not this seller")).post("/v1/approvals/" + first.jsonPath().getString("error.approval_id"))
                .then().statusCode(200);
        Response retry = mint(AGENT_3, form(2_100, profile));
        assertEquals(402, retry.statusCode(), retry.asString());
        assertEquals("payment_denied", retry.jsonPath().getString("error.code"));
        assertTrue(retry.jsonPath().getString("error.message").contains("not this seller"), retry.asString());
    }

    @Test
    void concurrentMintsCannotOverspendTheBudget() throws Exception {
        int mintsBefore = stripe().mintCalls();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Callable<Response>> calls = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                calls.add(() -> mint(AGENT_2, form(900, profile())));
            }
            List<Response> answers = new ArrayList<>();
            for (Future<Response> f : pool.invokeAll(calls)) {
                answers.add(f.get());
            }
            long tokens = answers.stream().filter(a -> a.statusCode() == 200).count();
            long held = answers.stream().filter(a -> a.statusCode() == 409
                    && "approval_pending".equals(a.jsonPath().getString("error.code"))).count();
            assertEquals(3, tokens, "30.00 per agent holds three 9.00 tokens");
            assertEquals(5, held);
            assertEquals(mintsBefore + 3, stripe().mintCalls());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void anIdempotencyKeyReplaysTheSameToken() {
        Map<String, String> form = form(250, profile());
        String key = "idem-" + UUID.randomUUID();
        int mintsBefore = stripe().mintCalls();
        String first = given().header("Authorization", "Bearer " + AGENT).header("Idempotency-Key", key)
                .contentType("application/x-www-form-urlencoded").formParams(form)
                .post("/stripe/v1/test_helpers/shared_payment/granted_tokens").then().statusCode(200).extract().path("id");
        String again = given().header("Authorization", "Bearer " + AGENT).header("Idempotency-Key", key)
                .contentType("application/x-www-form-urlencoded").formParams(form)
                .post("/stripe/v1/test_helpers/shared_payment/granted_tokens").then().statusCode(200).extract().path("id");
        assertEquals(first, again);
        assertEquals(mintsBefore + 1, stripe().mintCalls());
        form.put("usage_limits[max_amount]", "260");
        given().header("Authorization", "Bearer " + AGENT).header("Idempotency-Key", key)
                .contentType("application/x-www-form-urlencoded").formParams(form)
                .post("/stripe/v1/test_helpers/shared_payment/granted_tokens")
                .then().statusCode(400).body("error.code", org.hamcrest.Matchers.equalTo("idempotency_error"));
    }

    @Test
    void aSameNamedAgentOfAnotherProjectNeverGetsThisProjectsToken() {
        // "spt-agent-4" exists in projects spt and spt-twin: same key, same form, yet two payments and two tokens.
        Map<String, String> form = form(250, profile());
        String key = "idem-" + UUID.randomUUID();
        Response ours = given().header("Authorization", "Bearer " + AGENT_4).header("Idempotency-Key", key)
                .contentType("application/x-www-form-urlencoded").formParams(form)
                .post("/stripe/v1/test_helpers/shared_payment/granted_tokens");
        Response theirs = given().header("Authorization", "Bearer " + TWIN_AGENT).header("Idempotency-Key", key)
                .contentType("application/x-www-form-urlencoded").formParams(form)
                .post("/stripe/v1/test_helpers/shared_payment/granted_tokens");
        ours.then().statusCode(200);
        theirs.then().statusCode(200);
        org.junit.jupiter.api.Assertions.assertNotEquals(ours.path("id"), theirs.<String>path("id"));
        org.junit.jupiter.api.Assertions.assertNotEquals(ours.path("metadata.mpp_broker_payment_id"),
                theirs.<String>path("metadata.mpp_broker_payment_id"));
        // and without a key, a retry-window match stays inside the project too
        Map<String, String> held = form(5000, profile()); // ask tier: a human has it in hand
        mint(AGENT_4, held).then().statusCode(409);
        mint(TWIN_AGENT, held).then().statusCode(409)
                .body("error.payment_id", org.hamcrest.Matchers.not(org.hamcrest.Matchers.equalTo(
                        mint(AGENT_4, held).path("error.payment_id"))));
    }

    @Test
    void badInputIsAStripeShaped400AndRecordsNothing() {
        long before = paymentsOf("spt-agent");
        int mintsBefore = stripe().mintCalls();

        Map<String, String> missing = form(500, profile());
        missing.remove("usage_limits[max_amount]");
        Response r = mint(AGENT, missing);
        assertEquals(400, r.statusCode(), r.asString());
        assertEquals("invalid_request_error", r.jsonPath().getString("error.type"));
        assertEquals("parameter_missing", r.jsonPath().getString("error.code"));
        assertEquals("usage_limits[max_amount]", r.jsonPath().getString("error.param"));

        Map<String, String> unknown = form(500, profile());
        unknown.put("setup_future_usage", "off_session");
        r = mint(AGENT, unknown);
        assertEquals(400, r.statusCode(), r.asString());
        assertEquals("parameter_unknown", r.jsonPath().getString("error.code"));
        assertEquals("setup_future_usage", r.jsonPath().getString("error.param"));

        Map<String, String> notANumber = form(500, profile());
        notANumber.put("usage_limits[max_amount]", "5.00");
        r = mint(AGENT, notANumber);
        assertEquals("parameter_invalid_integer", r.jsonPath().getString("error.code"));

        Map<String, String> noSeller = form(500, profile());
        noSeller.remove("seller_details[network_business_profile]");
        r = mint(AGENT, noSeller);
        assertEquals(400, r.statusCode(), r.asString());
        assertEquals("seller_details", r.jsonPath().getString("error.param"));

        Map<String, String> past = form(500, profile());
        past.put("usage_limits[expires_at]", Long.toString(Instant.now().minusSeconds(10).getEpochSecond()));
        assertEquals(400, mint(AGENT, past).statusCode());

        r = given().contentType("application/x-www-form-urlencoded").formParams(form(500, profile()))
                .post("/stripe/v1/shared_payment/issued_tokens");
        assertEquals(401, r.statusCode(), r.asString());
        assertEquals("invalid_request_error", r.jsonPath().getString("error.type"));
        assertEquals(401, mint("not-a-broker-token", form(500, profile())).statusCode());
        assertEquals(403, mint("spt-approver-token", form(500, profile())).statusCode());

        assertEquals(before, paymentsOf("spt-agent"));
        assertEquals(mintsBefore, stripe().mintCalls());
    }
}
