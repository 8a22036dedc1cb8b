package io.mppbroker.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static io.mppbroker.testkit.HandPayer.challenges;
import static io.mppbroker.testkit.HandPayer.credential;
import static io.mppbroker.testkit.HandPayer.get;
import static io.mppbroker.testkit.HandPayer.json;
import static io.mppbroker.testkit.HandPayer.mintFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The reference seller (mppx 0.11.0, real npm package) paid by hand against the fake Stripe: proves the fake
 * answers mppx's Stripe calls and pins what mppx puts on the wire. Skipped only when {@code node} is absent.
 */
class MppxSellerTest {

    static final String MPP_SECRET = "mppx-secret-for-the-kit-tests-0123456789";
    static FakeStripe stripe;
    static MppxSeller seller;

    @BeforeAll
    static void start() {
        assumeTrue(MppxSeller.nodeAvailable(), "node is not installed");
        stripe = FakeStripe.start();
        seller = MppxSeller.start(stripe.baseUrl(), Map.of("MPP_SECRET_KEY", MPP_SECRET));
    }

    @AfterAll
    static void stop() {
        if (seller != null) {
            seller.close();
        }
        if (stripe != null) {
            stripe.close();
        }
    }

    @Test
    void paysTheMppxSellerAndFindsItsPaymentIntentAtTheFake() {
        HttpResponse<String> challenged = get(seller.baseUrl() + "/paid/report");

        assertEquals(402, challenged.statusCode());
        assertEquals("no-store", challenged.headers().firstValue("Cache-Control").orElse(null));
        assertEquals(MppTestSeller.PROBLEM_BASE + "payment-required", json(challenged).get("type").asText());
        Map<String, String> c = challenges(challenged).get(0);
        assertEquals("127.0.0.1", c.get("realm"), "mppx derives the realm from the Host's name");
        assertEquals(HandPayer.expectedId(MPP_SECRET, c), c.get("id"), "mppx uses the spec's 7-slot HMAC");
        JsonNode request = HandPayer.request(c);
        assertEquals("250", request.get("amount").asText(), "'2.50' with decimals 2 becomes minor units");
        assertEquals(MppxSeller.DEFAULT_NETWORK_ID, request.at("/methodDetails/networkId").asText());
        assertEquals(c.get("request"), MppTestSeller.canonical(request.toString()), "request is JCS");
        assertTrue(c.get("expires").matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z"), c.get("expires"));
        assertTrue(Instant.parse(c.get("expires")).isAfter(Instant.now().plusSeconds(290)));

        String spt = mintFor(stripe.baseUrl(), c);
        String credential = credential(c, spt);
        HttpResponse<String> paid = get(seller.baseUrl() + "/paid/report", "Authorization", credential);

        assertEquals(200, paid.statusCode(), paid.body());
        JsonNode receipt = HandPayer.decodeJson(paid.headers().firstValue("Payment-Receipt").orElseThrow());
        assertEquals("stripe", receipt.get("method").asText());
        assertEquals("success", receipt.get("status").asText());
        FakeStripe.PaymentIntentRecord pi = stripe.paymentIntents().stream()
                .filter(p -> p.id().equals(receipt.get("reference").asText())).findFirst().orElseThrow();
        assertEquals("succeeded", pi.status());
        assertEquals(250, pi.amount());
        assertEquals("usd", pi.currency());
        assertEquals(FakeStripe.accountOf(seller.stripeSecretKey()), pi.account());
        // What mppx 0.11.0 sends to Stripe (stripe/server/Charge.js createWithClient):
        assertEquals("shared_payment_granted_token", pi.tokenParameter());
        assertEquals(spt, pi.sharedPaymentGrantedToken());
        assertEquals("mpp_" + c.get("id") + "_" + spt, pi.idempotencyKey());
        assertEquals("2026-07-29.preview", pi.stripeVersion());
        assertEquals("true", pi.params().get("confirm"));
        assertEquals("true", pi.params().get("automatic_payment_methods[enabled]"));
        assertEquals("never", pi.params().get("automatic_payment_methods[allow_redirects]"));
        assertEquals(Map.of("machine_payment", "true", "mpp_sdk", "mppx/0.11.0", "mpp_intent", "charge",
                "mpp_challenge_id", c.get("id")), pi.metadata());

        // Replay: mppx keeps no used-challenge list; Stripe's Idempotent-Replayed header is its only guard.
        HttpResponse<String> replay = get(seller.baseUrl() + "/paid/report", "Authorization", credential);
        assertEquals(402, replay.statusCode());
        assertEquals(MppTestSeller.PROBLEM_BASE + "verification-failed", json(replay).get("type").asText());
        assertEquals(1, stripe.paymentIntents().stream().filter(p -> p.sharedPaymentGrantedToken().equals(spt))
                .count());
    }

    @Test
    void mppxPutsSeveralChallengesOnOneHeaderLine() {
        HttpResponse<String> challenged = get(seller.baseUrl() + "/paid/multi");

        List<String> lines = challenged.headers().allValues("WWW-Authenticate");
        assertEquals(1, lines.size(), String.valueOf(lines));
        List<Map<String, String>> offered = challenges(challenged);
        assertEquals(2, offered.size(), lines.get(0));
        assertEquals("usd", HandPayer.request(offered.get(0)).get("currency").asText());
        Map<String, String> eur = offered.get(1);
        assertEquals("230", HandPayer.request(eur).get("amount").asText());

        HttpResponse<String> paid = get(seller.baseUrl() + "/paid/multi", "Authorization",
                credential(eur, mintFor(stripe.baseUrl(), eur)));
        assertEquals(200, paid.statusCode(), paid.body());
        String reference = HandPayer.decodeJson(paid.headers().firstValue("Payment-Receipt").orElseThrow())
                .get("reference").asText();
        FakeStripe.PaymentIntentRecord pi = stripe.paymentIntents().stream()
                .filter(p -> p.id().equals(reference)).findFirst().orElseThrow();
        assertEquals("eur", pi.currency());
        assertEquals(230, pi.amount());
    }

    @Test
    void requiresAuthAddsTheHeaderParameterAndItsHmacSlot() {
        Map<String, String> c = challenges(get(seller.baseUrl() + "/paid/auth-header")).get(0);

        assertEquals("Payment-Authorization", c.get("header"));
        assertEquals(HandPayer.expectedId(MPP_SECRET, c), c.get("id"), "header is bound as a slot before opaque");

        HttpResponse<String> paid = get(seller.baseUrl() + "/paid/auth-header", "Authorization", "Bearer app",
                "Payment-Authorization", credential(c, mintFor(stripe.baseUrl(), c)));
        assertEquals(200, paid.statusCode(), paid.body());
        assertTrue(paid.headers().firstValue("Payment-Receipt").isPresent());
    }

    @Test
    void mppxRejectsATamperedChallengeAndAnUnpayableToken() {
        Map<String, String> c = challenges(get(seller.baseUrl() + "/paid/report")).get(0);
        Map<String, String> tampered = new java.util.LinkedHashMap<>(c);
        tampered.put("expires", Instant.now().plusSeconds(3600).toString());

        HttpResponse<String> refused = get(seller.baseUrl() + "/paid/report", "Authorization",
                credential(tampered, "spt_whatever"));
        assertEquals(402, refused.statusCode());
        assertEquals(MppTestSeller.PROBLEM_BASE + "invalid-challenge", json(refused).get("type").asText());

        // A token capped below the price: the fake refuses the PaymentIntent, mppx reports verification-failed.
        String small = HandPayer.mint(stripe.baseUrl(), "100", "usd", MppxSeller.DEFAULT_NETWORK_ID,
                Instant.now().plusSeconds(300).getEpochSecond());
        HttpResponse<String> insufficient = get(seller.baseUrl() + "/paid/report", "Authorization",
                credential(c, small));
        assertEquals(402, insufficient.statusCode());
        assertEquals(MppTestSeller.PROBLEM_BASE + "verification-failed", json(insufficient).get("type").asText());
        assertTrue(json(insufficient).get("detail").asText().contains("usage limit"), insufficient.body());
        assertTrue(stripe.issuedTokens().stream().filter(t -> t.id().equals(small)).findFirst().orElseThrow()
                .active());
    }
}
