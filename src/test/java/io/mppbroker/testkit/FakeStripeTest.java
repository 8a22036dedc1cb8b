package io.mppbroker.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.stripe.StripeClient;
import com.stripe.exception.AuthenticationException;
import com.stripe.exception.IdempotencyException;
import com.stripe.exception.InvalidRequestException;
import com.stripe.exception.StripeException;
import com.stripe.net.ApiResource;
import com.stripe.net.RawRequestOptions;
import com.stripe.net.StripeResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static io.mppbroker.testkit.HandPayer.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FakeStripeTest {

    static final String BUYER = "sk_test_buyer_fake_stripe_test";
    static final String SELLER = "sk_test_seller_fake_stripe_test";

    FakeStripe fake;

    @BeforeEach
    void start() {
        fake = FakeStripe.start();
    }

    @AfterEach
    void stop() {
        fake.close();
    }

    StripeClient client(String key) {
        return StripeClient.builder().setApiKey(key).setApiBase(fake.baseUrl()).setMaxNetworkRetries(0).build();
    }

    static RawRequestOptions options(String idempotencyKey) {
        RawRequestOptions.RawRequestOptionsBuilder b = RawRequestOptions.builder()
                .setAdditionalHeaders(Map.of("Stripe-Version", FakeStripe.DEFAULT_API_VERSION));
        if (idempotencyKey != null) {
            b.setIdempotencyKey(idempotencyKey);
        }
        return b.build();
    }

    static String mintForm(String amount, String currency, long expiresAt) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("payment_method", "pm_card_visa");
        form.put("usage_limits[currency]", currency);
        form.put("usage_limits[max_amount]", amount);
        form.put("usage_limits[expires_at]", Long.toString(expiresAt));
        form.put("seller_details[network_business_profile]", "profile_test_seller");
        form.put("metadata[decision_id]", "dec_42");
        return StripeForm.encode(form);
    }

    static long inFiveMinutes() {
        return Instant.now().plusSeconds(300).getEpochSecond();
    }

    String mintWithStripeJava(String amount, String currency) throws StripeException {
        StripeResponse r = client(BUYER).rawRequest(ApiResource.RequestMethod.POST, FakeStripe.ISSUED_TOKENS,
                mintForm(amount, currency, inFiveMinutes()), options(null));
        return parse(r.body()).get("id").asText();
    }

    HttpResponse<String> createPaymentIntent(String key, String idempotencyKey, Map<String, String> params) {
        List<String> headers = new ArrayList<>(List.of("Authorization", "Bearer " + key,
                "Content-Type", "application/x-www-form-urlencoded", "Stripe-Version", FakeStripe.DEFAULT_API_VERSION));
        if (idempotencyKey != null) {
            headers.addAll(List.of("Idempotency-Key", idempotencyKey));
        }
        return HandPayer.post(fake.baseUrl() + FakeStripe.PAYMENT_INTENTS, StripeForm.encode(params),
                headers.toArray(String[]::new));
    }

    static Map<String, String> payment(String amount, String currency, String spt) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("amount", amount);
        p.put("currency", currency);
        p.put("confirm", "true");
        p.put("automatic_payment_methods[enabled]", "true");
        p.put("automatic_payment_methods[allow_redirects]", "never");
        p.put("shared_payment_granted_token", spt);
        p.put("metadata[mpp_challenge_id]", "ch_test");
        return p;
    }

    static JsonNode parse(String body) {
        try {
            return HandPayer.JSON.readTree(body);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void mintsIssuedTokenThroughStripeJavaAndReplaysIdempotently() throws StripeException {
        StripeClient stripe = client(BUYER);
        String form = mintForm("250", "usd", inFiveMinutes());

        StripeResponse first = stripe.rawRequest(ApiResource.RequestMethod.POST, FakeStripe.ISSUED_TOKENS, form,
                options("mint-key-1"));
        StripeResponse replay = stripe.rawRequest(ApiResource.RequestMethod.POST, FakeStripe.ISSUED_TOKENS, form,
                options("mint-key-1"));

        assertEquals(200, first.code());
        JsonNode token = parse(first.body());
        assertTrue(token.get("id").asText().startsWith("spt_"), token.toString());
        assertEquals("shared_payment.issued_token", token.get("object").asText());
        assertFalse(token.get("livemode").asBoolean());
        assertEquals("active", token.get("status").asText());
        assertEquals(250, token.at("/usage_limits/max_amount").asLong());
        assertEquals("usd", token.at("/usage_limits/currency").asText());
        assertEquals("profile_test_seller", token.at("/seller_details/network_business_profile").asText());
        assertEquals("dec_42", token.at("/metadata/decision_id").asText());
        assertTrue(first.requestId().startsWith("req_"));

        assertEquals(first.body(), replay.body(), "a replay returns the stored response");
        assertEquals("true", replay.headers().firstValue("Idempotent-Replayed").orElse(null));
        assertNotEquals(first.requestId(), replay.requestId());
        assertEquals(2, fake.mintCalls(), "replays count as mint calls");
        assertEquals(1, fake.issuedTokens().size(), "but mint only once");
        FakeStripe.IssuedToken stored = fake.issuedTokens().get(0);
        assertEquals(FakeStripe.DEFAULT_API_VERSION, stored.stripeVersion());
        assertEquals("mint-key-1", stored.idempotencyKey());
        assertEquals(FakeStripe.accountOf(BUYER), stored.account());
    }

    @Test
    void sameIdempotencyKeyWithOtherParamsIsAnIdempotencyError() throws StripeException {
        StripeClient stripe = client(BUYER);
        stripe.rawRequest(ApiResource.RequestMethod.POST, FakeStripe.ISSUED_TOKENS,
                mintForm("250", "usd", inFiveMinutes()), options("mint-key-2"));

        IdempotencyException e = assertThrows(IdempotencyException.class, () -> stripe.rawRequest(
                ApiResource.RequestMethod.POST, FakeStripe.ISSUED_TOKENS, mintForm("9999", "usd", inFiveMinutes()),
                options("mint-key-2")));
        assertEquals(400, e.getStatusCode());
        assertEquals(1, fake.issuedTokens().size());

        // Keys are per account: another account may use the same key for other params.
        StripeResponse other = client(SELLER).rawRequest(ApiResource.RequestMethod.POST, FakeStripe.ISSUED_TOKENS,
                mintForm("9999", "usd", inFiveMinutes()), options("mint-key-2"));
        assertEquals(200, other.code());
        assertEquals(2, fake.issuedTokens().size());
    }

    @Test
    void refusesMissingOrInvalidKeysWithStripeShaped401() {
        HttpResponse<String> none = HandPayer.post(fake.baseUrl() + FakeStripe.ISSUED_TOKENS,
                mintForm("250", "usd", inFiveMinutes()), "Content-Type", "application/x-www-form-urlencoded");
        assertEquals(401, none.statusCode());
        assertEquals("invalid_request_error", json(none).at("/error/type").asText());
        assertTrue(none.headers().firstValue("Request-Id").orElse("").startsWith("req_"));

        HttpResponse<String> live = HandPayer.post(fake.baseUrl() + FakeStripe.ISSUED_TOKENS,
                mintForm("250", "usd", inFiveMinutes()), "Authorization", "Bearer sk_" + "live_abcdefghijklmnop");
        assertEquals(401, live.statusCode());
        assertFalse(live.body().contains("abcdefghijklmnop"), "the key is masked in the message");

        assertThrows(AuthenticationException.class, () -> client("sk_nope").rawRequest(
                ApiResource.RequestMethod.POST, FakeStripe.ISSUED_TOKENS, mintForm("250", "usd", inFiveMinutes()),
                options(null)));
        assertTrue(fake.issuedTokens().isEmpty());

        // Basic auth with the key as user name (what mppx's fetch path and curl -u send) works too.
        String basic = java.util.Base64.getEncoder().encodeToString((BUYER + ":").getBytes());
        HttpResponse<String> ok = HandPayer.post(fake.baseUrl() + FakeStripe.ISSUED_TOKENS,
                mintForm("250", "usd", inFiveMinutes()), "Authorization", "Basic " + basic);
        assertEquals(200, ok.statusCode(), ok.body());
    }

    @Test
    void rejectsUnknownAndMissingParametersLikeStripe() {
        InvalidRequestException unknown = assertThrows(InvalidRequestException.class, () -> client(BUYER)
                .rawRequest(ApiResource.RequestMethod.POST, FakeStripe.ISSUED_TOKENS,
                        mintForm("250", "usd", inFiveMinutes()) + "&usage_limits%5Bmax_amout%5D=5", options(null)));
        assertEquals("parameter_unknown", unknown.getCode());
        assertEquals("usage_limits[max_amout]", unknown.getParam());

        InvalidRequestException missing = assertThrows(InvalidRequestException.class, () -> client(BUYER)
                .rawRequest(ApiResource.RequestMethod.POST, FakeStripe.ISSUED_TOKENS,
                        "payment_method=pm_card_visa&usage_limits%5Bcurrency%5D=usd", options(null)));
        assertEquals("parameter_missing", missing.getCode());
        assertEquals("usage_limits[max_amount]", missing.getParam());
        assertTrue(fake.issuedTokens().isEmpty());
    }

    @Test
    void retrievesAndRevokesIssuedTokensForTheIssuerOnly() throws StripeException {
        String spt = mintWithStripeJava("250", "usd");
        StripeClient buyer = client(BUYER);

        JsonNode retrieved = parse(buyer.rawRequest(ApiResource.RequestMethod.GET,
                FakeStripe.ISSUED_TOKENS + "/" + spt, null, options(null)).body());
        assertEquals(spt, retrieved.get("id").asText());
        assertEquals(0, retrieved.at("/usage_details/amount_captured/value").asLong());

        InvalidRequestException foreign = assertThrows(InvalidRequestException.class, () -> client(SELLER)
                .rawRequest(ApiResource.RequestMethod.GET, FakeStripe.ISSUED_TOKENS + "/" + spt, null,
                        options(null)));
        assertEquals(404, foreign.getStatusCode());
        assertEquals("resource_missing", foreign.getCode());

        JsonNode revoked = parse(buyer.rawRequest(ApiResource.RequestMethod.POST,
                FakeStripe.ISSUED_TOKENS + "/" + spt + "/revoke", "", options(null)).body());
        assertEquals("revoked", revoked.get("deactivated_reason").asText());
        assertEquals("deactivated", revoked.get("status").asText());

        HttpResponse<String> pay = createPaymentIntent(SELLER, "pay-revoked", payment("250", "usd", spt));
        assertEquals(400, pay.statusCode(), pay.body());
        assertEquals("shared_payment_token_deactivated", json(pay).at("/error/code").asText());
        assertEquals("revoked", fake.issuedTokens().get(0).deactivatedReason());
        assertTrue(fake.paymentIntents().isEmpty());
    }

    @Test
    void paymentIntentSucceedsOnlyWithinTheTokensLimitsAndOnce() throws StripeException {
        String spt = mintWithStripeJava("250", "usd");

        HttpResponse<String> tooMuch = createPaymentIntent(SELLER, "k1", payment("251", "usd", spt));
        assertEquals(400, tooMuch.statusCode());
        assertEquals("shared_payment_token_usage_limit_exceeded", json(tooMuch).at("/error/code").asText());

        HttpResponse<String> otherCurrency = createPaymentIntent(SELLER, "k2", payment("250", "eur", spt));
        assertEquals(400, otherCurrency.statusCode());
        assertEquals("currency", json(otherCurrency).at("/error/param").asText());

        HttpResponse<String> ok = createPaymentIntent(SELLER, "k3", payment("250", "usd", spt));
        assertEquals(200, ok.statusCode(), ok.body());
        JsonNode pi = json(ok);
        assertEquals("payment_intent", pi.get("object").asText());
        assertEquals("succeeded", pi.get("status").asText());
        assertEquals(250, pi.get("amount_received").asLong());
        assertTrue(pi.get("id").asText().startsWith("pi_"));
        assertNull(ok.headers().firstValue("Idempotent-Replayed").orElse(null));

        HttpResponse<String> replay = createPaymentIntent(SELLER, "k3", payment("250", "usd", spt));
        assertEquals(200, replay.statusCode());
        assertEquals("true", replay.headers().firstValue("Idempotent-Replayed").orElse(null));
        assertEquals(pi.get("id").asText(), json(replay).get("id").asText());

        HttpResponse<String> again = createPaymentIntent(SELLER, "k4", payment("250", "usd", spt));
        assertEquals(400, again.statusCode(), "an SPT is single use");
        assertEquals("shared_payment_token_deactivated", json(again).at("/error/code").asText());

        List<FakeStripe.PaymentIntentRecord> intents = fake.paymentIntents();
        assertEquals(1, intents.size());
        FakeStripe.PaymentIntentRecord record = intents.get(0);
        assertEquals(spt, record.sharedPaymentGrantedToken());
        assertEquals("shared_payment_granted_token", record.tokenParameter());
        assertEquals("k3", record.idempotencyKey());
        assertEquals("ch_test", record.metadata().get("mpp_challenge_id"));
        assertEquals(FakeStripe.accountOf(SELLER), record.account());
        FakeStripe.IssuedToken token = fake.issuedTokens().get(0);
        assertEquals("consumed", token.deactivatedReason());
        assertEquals(250, token.amountCaptured());
        assertEquals(record.id(), token.paymentIntentId());

        // The PaymentIntent lives on the seller's account: the buyer cannot read it.
        HttpResponse<String> sellerView = HandPayer.get(fake.baseUrl() + "/v1/payment_intents/" + record.id(),
                "Authorization", "Bearer " + SELLER);
        assertEquals(200, sellerView.statusCode());
        HttpResponse<String> buyerView = HandPayer.get(fake.baseUrl() + "/v1/payment_intents/" + record.id(),
                "Authorization", "Bearer " + BUYER);
        assertEquals(404, buyerView.statusCode());
    }

    @Test
    void expiredTokenCannotPay() throws StripeException {
        String spt = mintWithStripeJava("250", "usd");
        fake.advanceTime(Duration.ofMinutes(6));

        HttpResponse<String> pay = createPaymentIntent(SELLER, "late", payment("250", "usd", spt));

        assertEquals(400, pay.statusCode());
        assertTrue(json(pay).at("/error/message").asText().contains("expired"), pay.body());
        assertTrue(fake.paymentIntents().isEmpty());
    }

    @Test
    void grantedTestTokensWorkWithTheNestedParameterAndUnknownTokensAreMissing() {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("payment_method", "pm_card_visa");
        form.put("usage_limits[currency]", "eur");
        form.put("usage_limits[max_amount]", "500");
        form.put("usage_limits[expires_at]", Long.toString(inFiveMinutes()));
        form.put("seller_details[network_id]", "internal");
        HttpResponse<String> granted = HandPayer.post(fake.baseUrl() + FakeStripe.GRANTED_TOKENS_HELPER,
                StripeForm.encode(form), "Authorization", "Bearer " + SELLER);
        assertEquals(200, granted.statusCode(), granted.body());
        assertEquals("shared_payment.granted_token", json(granted).get("object").asText());
        String spt = json(granted).get("id").asText();
        assertEquals(1, fake.mintCalls());
        assertEquals(FakeStripe.TokenKind.GRANTED, fake.issuedTokens().get(0).kind());
        assertEquals("internal", fake.issuedTokens().get(0).networkId());

        Map<String, String> nested = payment("400", "eur", spt);
        nested.remove("shared_payment_granted_token");
        nested.put("payment_method_data[shared_payment_granted_token]", spt);
        HttpResponse<String> ok = createPaymentIntent(SELLER, null, nested);
        assertEquals(200, ok.statusCode(), ok.body());
        assertEquals("payment_method_data[shared_payment_granted_token]",
                fake.paymentIntents().get(0).tokenParameter());

        HttpResponse<String> missing = createPaymentIntent(SELLER, null, payment("400", "eur", "spt_doesnotexist"));
        assertEquals(400, missing.statusCode());
        assertEquals("resource_missing", json(missing).at("/error/code").asText());
    }

    @Test
    void aBuyerMintedTestTokenIsChargeableOnlyByTheSellerItNames() {
        fake.bindSellerProfile(SELLER, "net_seller");
        fake.bindSellerProfile("sk_test_someone_else", "net_other");
        Map<String, String> form = new LinkedHashMap<>();
        form.put("payment_method", "pm_card_visa");
        form.put("usage_limits[currency]", "usd");
        form.put("usage_limits[max_amount]", "500");
        form.put("usage_limits[expires_at]", Long.toString(inFiveMinutes()));
        form.put("seller_details[network_id]", "net_seller");
        String spt = json(HandPayer.post(fake.baseUrl() + FakeStripe.GRANTED_TOKENS_HELPER, StripeForm.encode(form),
                "Authorization", "Bearer sk_test_the_buyer")).get("id").asText();

        HttpResponse<String> stranger = createPaymentIntent("sk_test_someone_else", null, payment("500", "usd", spt));
        assertEquals(400, stranger.statusCode(), stranger.body());
        HttpResponse<String> seller = createPaymentIntent(SELLER, null, payment("500", "usd", spt));
        assertEquals(200, seller.statusCode(), seller.body());
        assertEquals("succeeded", json(seller).get("status").asText());
    }

    @Test
    void declinesAndActionsFollowStripesTestPaymentMethods() {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("payment_method", "pm_card_chargeDeclinedInsufficientFunds");
        form.put("usage_limits[currency]", "usd");
        form.put("usage_limits[max_amount]", "500");
        form.put("seller_details[network_business_profile]", "profile_x");
        String spt = json(HandPayer.post(fake.baseUrl() + FakeStripe.ISSUED_TOKENS, StripeForm.encode(form),
                "Authorization", "Bearer " + BUYER)).get("id").asText();

        HttpResponse<String> declined = createPaymentIntent(SELLER, "d1", payment("500", "usd", spt));

        assertEquals(402, declined.statusCode());
        JsonNode error = json(declined).get("error");
        assertEquals("card_error", error.get("type").asText());
        assertEquals("insufficient_funds", error.get("decline_code").asText());
        assertEquals("requires_payment_method", error.at("/payment_intent/status").asText());
        assertTrue(fake.issuedTokens().get(0).active(), "a declined token stays usable");
    }

    @Test
    void boundSellerProfileOnlyAcceptsTokensIssuedForIt() throws StripeException {
        fake.bindSellerProfile(SELLER, "profile_someone_else");
        String spt = mintWithStripeJava("250", "usd"); // issued for profile_test_seller

        HttpResponse<String> pay = createPaymentIntent(SELLER, "p1", payment("250", "usd", spt));

        assertEquals(400, pay.statusCode());
        assertEquals("resource_missing", json(pay).at("/error/code").asText());
        assertTrue(fake.paymentIntents().isEmpty());
    }

    @Test
    void injectedFailuresAreStripeApiErrorsAndLeaveNoTrace() {
        fake.failNextRequests(1, 500);
        HttpResponse<String> failed = HandPayer.post(fake.baseUrl() + FakeStripe.ISSUED_TOKENS,
                mintForm("250", "usd", inFiveMinutes()), "Authorization", "Bearer " + BUYER,
                "Idempotency-Key", "retry-me");
        assertEquals(500, failed.statusCode());
        assertEquals("api_error", json(failed).at("/error/type").asText());

        HttpResponse<String> retried = HandPayer.post(fake.baseUrl() + FakeStripe.ISSUED_TOKENS,
                mintForm("250", "usd", inFiveMinutes()), "Authorization", "Bearer " + BUYER,
                "Idempotency-Key", "retry-me");
        assertEquals(200, retried.statusCode());
        assertTrue(retried.headers().firstValue("Idempotent-Replayed").isEmpty());
        assertEquals(1, fake.issuedTokens().size());
        assertEquals(2, fake.mintCalls());
    }

    @Test
    void twoHundredParallelPaymentsEachSettleExactlyOnce() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(32);
        try {
            List<Future<String>> results = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                int n = i;
                results.add(pool.submit(() -> {
                    String spt = HandPayer.mint(fake.baseUrl(), "300", "usd", "profile_p", inFiveMinutes());
                    HttpResponse<String> pay = createPaymentIntent(SELLER, "mpp_ch" + n + "_" + spt,
                            payment("300", "usd", spt));
                    assertEquals(200, pay.statusCode(), pay.body());
                    return json(pay).get("id").asText();
                }));
            }
            Set<String> ids = new HashSet<>();
            for (Future<String> f : results) {
                ids.add(f.get());
            }
            assertEquals(200, ids.size());
            assertEquals(200, fake.paymentIntents().stream().filter(p -> p.status().equals("succeeded")).count());
            assertTrue(fake.issuedTokens().stream().noneMatch(FakeStripe.IssuedToken::active));

            // Many sellers racing for one token: exactly one wins.
            String contested = HandPayer.mint(fake.baseUrl(), "300", "usd", "profile_p", inFiveMinutes());
            List<Future<Integer>> race = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                int n = i;
                race.add(pool.submit(() -> createPaymentIntent(SELLER, "race" + n,
                        payment("300", "usd", contested)).statusCode()));
            }
            int won = 0;
            for (Future<Integer> f : race) {
                won += f.get() == 200 ? 1 : 0;
            }
            assertEquals(1, won);
        } finally {
            pool.shutdownNow();
        }
    }
}
