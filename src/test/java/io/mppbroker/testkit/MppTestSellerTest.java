package io.mppbroker.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.mppbroker.testkit.HandPayer.challenges;
import static io.mppbroker.testkit.HandPayer.credential;
import static io.mppbroker.testkit.HandPayer.get;
import static io.mppbroker.testkit.HandPayer.json;
import static io.mppbroker.testkit.HandPayer.mintFor;
import static io.mppbroker.testkit.HandPayer.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MppTestSellerTest {

    static final String HMAC_SECRET = "kit-test-secret-with-at-least-32-bytes!!";

    FakeStripe stripe;
    MppTestSeller seller;

    @BeforeEach
    void start() {
        stripe = FakeStripe.start();
    }

    @AfterEach
    void stop() {
        if (seller != null) {
            seller.close();
        }
        stripe.close();
    }

    MppTestSeller.Builder sellerBuilder() {
        return MppTestSeller.builder(stripe.baseUrl()).hmacSecret(HMAC_SECRET).networkId("profile_test_kit");
    }

    static String problemType(HttpResponse<String> response) {
        return json(response).get("type").asText();
    }

    @Test
    void fullPaymentRoundTripByHand() {
        seller = sellerBuilder().start().price("GET", "/report", "250", "usd", "Market report");

        HttpResponse<String> challenged = get(seller.baseUrl() + "/report");

        assertEquals(402, challenged.statusCode());
        assertEquals("no-store", challenged.headers().firstValue("Cache-Control").orElse(null));
        assertTrue(challenged.headers().firstValue("Content-Type").orElse("").startsWith("application/problem+json"));
        assertEquals(MppTestSeller.PROBLEM_BASE + "payment-required", problemType(challenged));
        List<Map<String, String>> offered = challenges(challenged);
        assertEquals(1, offered.size());
        Map<String, String> c = offered.get(0);
        assertEquals("stripe", c.get("method"));
        assertEquals("charge", c.get("intent"));
        assertEquals("Market report", c.get("description"));
        assertEquals(HandPayer.expectedId(HMAC_SECRET, c), c.get("id"), "id is the 7-slot HMAC of the spec");
        assertEquals(json(challenged).get("challengeId").asText(), c.get("id"));
        Instant expires = Instant.parse(c.get("expires"));
        assertTrue(expires.isAfter(Instant.now().plusSeconds(290)) && expires.isBefore(Instant.now().plusSeconds(301)));
        JsonNode request = HandPayer.request(c);
        assertEquals("{\"amount\":\"250\",\"currency\":\"usd\",\"methodDetails\":{\"networkId\":\"profile_test_kit\","
                + "\"paymentMethodTypes\":[\"card\"]}}", request.toString());
        assertEquals(c.get("request"), MppTestSeller.canonical(request.toString()), "request is JCS");

        String spt = mintFor(stripe.baseUrl(), c);
        HttpResponse<String> paid = get(seller.baseUrl() + "/report", "Authorization", credential(c, spt));

        assertEquals(200, paid.statusCode(), paid.body());
        assertEquals("private", paid.headers().firstValue("Cache-Control").orElse(null));
        JsonNode receipt = HandPayer.decodeJson(paid.headers().firstValue("Payment-Receipt").orElseThrow());
        assertEquals("stripe", receipt.get("method").asText());
        assertEquals("success", receipt.get("status").asText());
        Instant.parse(receipt.get("timestamp").asText());
        String reference = receipt.get("reference").asText();
        FakeStripe.PaymentIntentRecord pi = stripe.paymentIntents().stream()
                .filter(p -> p.id().equals(reference)).findFirst().orElseThrow();
        assertEquals("succeeded", pi.status());
        assertEquals(250, pi.amount());
        assertEquals("usd", pi.currency());
        assertEquals(spt, pi.sharedPaymentGrantedToken());
        assertEquals("mpp_" + c.get("id") + "_" + spt, pi.idempotencyKey());
        assertEquals(c.get("id"), pi.metadata().get("mpp_challenge_id"));
        assertEquals(FakeStripe.DEFAULT_API_VERSION, pi.stripeVersion());
        assertEquals("never", pi.params().get("automatic_payment_methods[allow_redirects]"));
        assertEquals(FakeStripe.accountOf(seller.stripeSecretKey()), pi.account());
        assertEquals(List.of(new MppTestSeller.SellerPayment(c.get("id"), reference, "250", "usd", "GET", "/report",
                MppTestSeller.sha256Hex(new byte[0]), seller.payments().get(0).settledAt())), seller.payments());
        assertEquals(1, seller.challengesIssued());
    }

    @Test
    void replayedCredentialIsRefusedWithAFreshChallenge() {
        seller = sellerBuilder().start().price("GET", "/report", "250", "usd");
        Map<String, String> c = challenges(get(seller.baseUrl() + "/report")).get(0);
        String credential = credential(c, mintFor(stripe.baseUrl(), c));
        assertEquals(200, get(seller.baseUrl() + "/report", "Authorization", credential).statusCode());

        HttpResponse<String> replay = get(seller.baseUrl() + "/report", "Authorization", credential);

        assertEquals(402, replay.statusCode());
        assertEquals(MppTestSeller.PROBLEM_BASE + "invalid-challenge", problemType(replay));
        Map<String, String> fresh = challenges(replay).get(0);
        assertNotEquals(c.get("id"), fresh.get("id"));
        assertEquals(1, stripe.paymentIntents().size());
        assertEquals(1, seller.payments().size());
    }

    @Test
    void tamperedAmountBreaksTheHmacBinding() {
        seller = sellerBuilder().start().price("GET", "/report", "250", "usd");
        Map<String, String> c = new LinkedHashMap<>(challenges(get(seller.baseUrl() + "/report")).get(0));
        ObjectNode cheaper = (ObjectNode) HandPayer.request(c);
        cheaper.put("amount", "50");
        c.put("request", MppTestSeller.canonical(cheaper.toString()));
        String spt = HandPayer.mint(stripe.baseUrl(), "50", "usd", "profile_test_kit",
                Instant.now().plusSeconds(300).getEpochSecond());

        HttpResponse<String> response = get(seller.baseUrl() + "/report", "Authorization", credential(c, spt));

        assertEquals(402, response.statusCode());
        assertEquals(MppTestSeller.PROBLEM_BASE + "invalid-challenge", problemType(response));
        assertTrue(stripe.paymentIntents().isEmpty());
        assertTrue(stripe.issuedTokens().get(0).active());
    }

    @Test
    void expiredChallengeIsRefused() throws InterruptedException {
        seller = sellerBuilder().challengeTtl(Duration.ofMillis(200)).start().price("GET", "/report", "250", "usd");
        Map<String, String> c = challenges(get(seller.baseUrl() + "/report")).get(0);
        String spt = HandPayer.mint(stripe.baseUrl(), "250", "usd", "profile_test_kit",
                Instant.now().plusSeconds(300).getEpochSecond());
        Thread.sleep(300);

        HttpResponse<String> response = get(seller.baseUrl() + "/report", "Authorization", credential(c, spt));

        assertEquals(402, response.statusCode());
        assertEquals(MppTestSeller.PROBLEM_BASE + "payment-expired", problemType(response));
        assertTrue(stripe.paymentIntents().isEmpty());
    }

    @Test
    void bodyDigestBindsTheCredentialToTheBody() {
        seller = sellerBuilder().start().price("POST", "/echo", "100", "usd");
        String body = "{\"question\":\"weather in Lyon\"}";
        HttpResponse<String> challenged = post(seller.baseUrl() + "/echo", body, "Content-Type", "application/json");
        Map<String, String> c = challenges(challenged).get(0);
        String expectedDigest = "sha-256=:" + Base64.getEncoder().encodeToString(
                sha256(body.getBytes(StandardCharsets.UTF_8))) + ":";
        assertEquals(expectedDigest, c.get("digest"));
        assertEquals(HandPayer.expectedId(HMAC_SECRET, c), c.get("id"), "digest is HMAC slot 5");
        String credential = credential(c, mintFor(stripe.baseUrl(), c));

        HttpResponse<String> otherBody = post(seller.baseUrl() + "/echo", "{\"question\":\"buy 1000 shares\"}",
                "Authorization", credential, "Content-Type", "application/json");
        assertEquals(402, otherBody.statusCode());
        assertEquals(MppTestSeller.PROBLEM_BASE + "verification-failed", problemType(otherBody));
        assertTrue(stripe.paymentIntents().isEmpty());

        HttpResponse<String> sameBody = post(seller.baseUrl() + "/echo", body, "Authorization", credential,
                "Content-Type", "application/json");
        assertEquals(200, sameBody.statusCode(), sameBody.body());
        assertEquals(MppTestSeller.sha256Hex(body.getBytes(StandardCharsets.UTF_8)),
                seller.payments().get(0).bodySha256());
    }

    @Test
    void offersSeveralChallengesInOneHeaderLineAndPaysTheChosenOne() {
        seller = sellerBuilder().extraWwwAuthenticate("Bearer realm=\"kit\"").start()
                .price("GET", "/report", "250", "usd", "Report, usd")
                .price("GET", "/report", "230", "eur", "Rapport \u2014 eur")
                .alsoOffer("GET", "/report", "tempo", "charge",
                        "{\"amount\":\"2500000\",\"currency\":\"0x20c0000000000000000000000000000000000000\"}");

        HttpResponse<String> challenged = get(seller.baseUrl() + "/report");

        List<String> lines = challenged.headers().allValues("WWW-Authenticate");
        assertEquals(2, lines.size(), "one line with all Payment challenges, one Bearer line");
        assertTrue(lines.get(0).contains("\\u2014"), "non-Latin-1 escaped as mppx does: " + lines.get(0));
        List<Map<String, String>> offered = challenges(challenged);
        assertEquals(3, offered.size());
        assertEquals("Rapport \u2014 eur", offered.get(1).get("description"));
        assertEquals(List.of("stripe", "stripe", "tempo"), offered.stream().map(o -> o.get("method")).toList());
        offered.forEach(o -> assertEquals(HandPayer.expectedId(HMAC_SECRET, o), o.get("id")));
        assertEquals(3, seller.challengesIssued());

        Map<String, String> tempo = offered.get(2);
        HttpResponse<String> unsupported = get(seller.baseUrl() + "/report", "Authorization",
                credential(tempo, "spt_irrelevant"));
        assertEquals(400, unsupported.statusCode());
        assertEquals(MppTestSeller.PROBLEM_BASE + "method-unsupported", problemType(unsupported));

        Map<String, String> eur = offered.get(1);
        HttpResponse<String> paid = get(seller.baseUrl() + "/report", "Authorization",
                credential(eur, mintFor(stripe.baseUrl(), eur)));
        assertEquals(200, paid.statusCode(), paid.body());
        assertEquals("eur", stripe.paymentIntents().get(0).currency());
        assertEquals(230, stripe.paymentIntents().get(0).amount());
    }

    @Test
    void challengesOnSeparateLinesWhenAsked() {
        seller = sellerBuilder().challengesOnSeparateLines(true).start()
                .price("GET", "/report", "250", "usd").price("GET", "/report", "230", "eur");

        HttpResponse<String> challenged = get(seller.baseUrl() + "/report");

        assertEquals(2, challenged.headers().allValues("WWW-Authenticate").size());
        assertEquals(2, challenges(challenged).size());
    }

    @Test
    void priceRaisedAfterTheChallengeIsAnsweredWithPaymentInsufficient() {
        seller = sellerBuilder().start().price("GET", "/report", "250", "usd")
                .changeAmountAfterChallenge("/report", "900");
        Map<String, String> c = challenges(get(seller.baseUrl() + "/report")).get(0);
        assertEquals("250", HandPayer.request(c).get("amount").asText());

        HttpResponse<String> retry = get(seller.baseUrl() + "/report", "Authorization",
                credential(c, mintFor(stripe.baseUrl(), c)));

        assertEquals(402, retry.statusCode());
        assertEquals(MppTestSeller.PROBLEM_BASE + "payment-insufficient", problemType(retry));
        Map<String, String> fresh = challenges(retry).get(0);
        assertEquals("900", HandPayer.request(fresh).get("amount").asText());
        assertTrue(stripe.paymentIntents().isEmpty(), "nothing charged at the old price");

        HttpResponse<String> paid = get(seller.baseUrl() + "/report", "Authorization",
                credential(fresh, mintFor(stripe.baseUrl(), fresh)));
        assertEquals(200, paid.statusCode());
        assertEquals(900, stripe.paymentIntents().get(0).amount());
    }

    @Test
    void slowSellerChargesBeforeTheClientGivesUp() {
        seller = sellerBuilder().start().price("GET", "/report", "250", "usd")
                .delayAfterSettlement("/report", Duration.ofSeconds(2));
        Map<String, String> c = challenges(get(seller.baseUrl() + "/report")).get(0);
        HttpRequest paying = HttpRequest.newBuilder(URI.create(seller.baseUrl() + "/report"))
                .timeout(Duration.ofMillis(700)).header("Authorization", credential(c, mintFor(stripe.baseUrl(), c)))
                .GET().build();

        assertThrows(HttpTimeoutException.class,
                () -> HttpClient.newHttpClient().send(paying, HttpResponse.BodyHandlers.ofString()));

        assertEquals(1, seller.payments().size(), "charged but not delivered");
        assertEquals("succeeded", stripe.paymentIntents().get(0).status());
    }

    @Test
    void cannedResponsesWithoutOrAfterPayment() {
        seller = sellerBuilder().start().price("GET", "/report", "250", "usd")
                .respondWithoutPayment("/free", 200, "{\"free\":true}")
                .price("GET", "/refused", "250", "usd").respondAfterSettlement("/refused", 403, "{\"no\":1}");

        HttpResponse<String> free = get(seller.baseUrl() + "/free");
        assertEquals(200, free.statusCode());
        assertEquals("{\"free\":true}", free.body());
        assertTrue(free.headers().firstValue("Payment-Receipt").isEmpty());
        assertTrue(free.headers().allValues("WWW-Authenticate").isEmpty());

        Map<String, String> c = challenges(get(seller.baseUrl() + "/refused")).get(0);
        HttpResponse<String> refused = get(seller.baseUrl() + "/refused", "Authorization",
                credential(c, mintFor(stripe.baseUrl(), c)));
        assertEquals(403, refused.statusCode());
        assertTrue(refused.headers().firstValue("Payment-Receipt").isEmpty());
        assertEquals(1, stripe.paymentIntents().size(), "paid, then refused by policy");
    }

    @Test
    void credentialHeaderParameterMovesTheCredential() {
        seller = sellerBuilder().credentialHeader("Payment-Authorization").start()
                .price("GET", "/report", "250", "usd")
                .opaque("GET", "/report", Map.of("order", "o-17"));
        Map<String, String> c = challenges(get(seller.baseUrl() + "/report")).get(0);
        assertEquals("Payment-Authorization", c.get("header"));
        assertEquals("o-17", HandPayer.decodeJson(c.get("opaque")).get("order").asText());
        assertEquals(HandPayer.expectedId(HMAC_SECRET, c), c.get("id"), "header slot before opaque, as mppx");
        String credential = credential(c, mintFor(stripe.baseUrl(), c));

        HttpResponse<String> wrongHeader = get(seller.baseUrl() + "/report", "Authorization", credential);
        assertEquals(402, wrongHeader.statusCode());
        assertEquals(MppTestSeller.PROBLEM_BASE + "payment-required", problemType(wrongHeader));

        HttpResponse<String> paid = get(seller.baseUrl() + "/report", "Authorization", "Bearer app-token",
                "Payment-Authorization", credential);
        assertEquals(200, paid.statusCode(), paid.body());
    }

    @Test
    void malformedCredentialsAndMissingSptAreRefused() {
        seller = sellerBuilder().start().price("GET", "/report", "250", "usd");
        Map<String, String> c = challenges(get(seller.baseUrl() + "/report")).get(0);

        HttpResponse<String> garbage = get(seller.baseUrl() + "/report", "Authorization", "Payment !!notbase64!!");
        assertEquals(402, garbage.statusCode());
        assertEquals(MppTestSeller.PROBLEM_BASE + "malformed-credential", problemType(garbage));

        HttpResponse<String> noSpt = get(seller.baseUrl() + "/report", "Authorization", credential(c, "pm_123"));
        assertEquals(402, noSpt.statusCode());
        assertEquals(MppTestSeller.PROBLEM_BASE + "invalid-payload", problemType(noSpt));

        // The stripe error surfaces as verification-failed, with a fresh challenge.
        HttpResponse<String> unknownSpt = get(seller.baseUrl() + "/report", "Authorization",
                credential(c, "spt_unknown"));
        assertEquals(402, unknownSpt.statusCode());
        assertEquals(MppTestSeller.PROBLEM_BASE + "verification-failed", problemType(unknownSpt));
        assertEquals(1, challenges(unknownSpt).size());
        assertTrue(stripe.paymentIntents().isEmpty());
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return java.security.MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
