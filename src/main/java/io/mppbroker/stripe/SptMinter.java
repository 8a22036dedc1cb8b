package io.mppbroker.stripe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.stripe.StripeClient;
import com.stripe.exception.StripeException;
import com.stripe.net.ApiResource;
import com.stripe.net.RawRequestOptions;
import com.stripe.net.StripeResponse;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.StringJoiner;

/**
 * Mints Shared Payment Tokens with stripe-java.
 *
 * <p>stripe-java GA (33.3.0) has no typed SPT classes, so this goes through {@link StripeClient#rawRequest}:
 * we keep the GA client's auth, retries, idempotency and error parsing while pinning the preview
 * Stripe-Version that the SPT endpoints need. The 33.5.0 beta has typed classes, but a beta pins its own
 * moving API version, which is worse for a payments path than one explicit form body.
 *
 * <p>Live keys use {@code /v1/shared_payment/issued_tokens}; test-mode keys use Stripe's test helper
 * {@code /v1/test_helpers/shared_payment/granted_tokens}, which takes {@code seller_details[network_id]}.
 */
@ApplicationScoped
public class SptMinter {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final StripeConfig config;
    private volatile StripeClient client;

    public SptMinter(StripeConfig config) {
        this.config = config;
    }

    public MintedToken mint(MintRequest request) throws StripeFailure {
        boolean testMode = secretKey().startsWith("sk_test_") || secretKey().startsWith("rk_test_");
        Map<String, String> form = new LinkedHashMap<>();
        form.put("payment_method", request.paymentMethod());
        form.put("usage_limits[currency]", request.currency());
        form.put("usage_limits[max_amount]", Long.toString(request.maxAmountMinor()));
        form.put("usage_limits[expires_at]", Long.toString(request.expiresAt().getEpochSecond()));
        if (request.networkProfile() != null) {
            form.put(testMode ? "seller_details[network_id]" : "seller_details[network_business_profile]",
                    request.networkProfile());
        }
        request.metadata().forEach((k, v) -> form.put("metadata[" + k + "]", v));
        String path = testMode
                ? "/v1/test_helpers/shared_payment/granted_tokens"
                : "/v1/shared_payment/issued_tokens";
        JsonNode token = call(ApiResource.RequestMethod.POST, path, encode(form), request.idempotencyKey());
        return new MintedToken(token.path("id").asText());
    }

    /**
     * Revokes a token so it can no longer be spent, and returns Stripe's view of it afterwards (a token already
     * spent, expired or revoked stays as it was; the answer tells). Revoking twice is harmless, so this needs no
     * idempotency key. Test mode revokes through the test helper, as it mints there.
     */
    public SptStatus revoke(String sptId) throws StripeFailure {
        String path = testMode()
                ? "/v1/test_helpers/shared_payment/granted_tokens/" + pathSegment(sptId) + "/revoke"
                : "/v1/shared_payment/issued_tokens/" + pathSegment(sptId) + "/revoke";
        return status(call(ApiResource.RequestMethod.POST, path, "", null));
    }

    /**
     * Retrieves a token to learn whether it was spent: {@code usage_details.amount_captured} and
     * {@code deactivated_reason}. Live keys read the issued token; test-mode keys mint through the test helper,
     * which creates a granted token in the broker's own account, so they read {@code granted_tokens/{id}}.
     * Neither view names the PaymentIntent that spent it (that belongs to the seller's account).
     */
    public SptStatus status(String sptId) throws StripeFailure {
        String path = testMode()
                ? "/v1/shared_payment/granted_tokens/" + pathSegment(sptId)
                : "/v1/shared_payment/issued_tokens/" + pathSegment(sptId);
        return status(call(ApiResource.RequestMethod.GET, path, null, null));
    }

    private static SptStatus status(JsonNode token) throws StripeFailure {
        JsonNode captured = token.path("usage_details").path("amount_captured");
        JsonNode limits = token.path("usage_limits");
        if (!token.path("id").isTextual()) {
            throw new StripeFailure("invalid_response", 0, "Stripe's answer is not a shared payment token", null);
        }
        return new SptStatus(captured.path("value").asLong(0),
                captured.path("currency").isTextual() ? captured.path("currency").asText() : limits.path("currency").asText(null),
                token.path("deactivated_reason").isTextual() ? token.path("deactivated_reason").asText() : null,
                limits.path("expires_at").isNumber() ? Instant.ofEpochSecond(limits.path("expires_at").asLong()) : null);
    }

    /** Token ids are Stripe's ({@code spt_} and alphanumerics); anything else is refused rather than put in a URL. */
    private static String pathSegment(String sptId) throws StripeFailure {
        if (sptId == null || !sptId.matches("[A-Za-z0-9_]{1,255}")) {
            throw new StripeFailure("invalid_token_id", 0, "not a shared payment token id", null);
        }
        return sptId;
    }

    public boolean testMode() {
        return secretKey().startsWith("sk_test_") || secretKey().startsWith("rk_test_");
    }

    private JsonNode call(ApiResource.RequestMethod method, String path, String body, String idempotencyKey)
            throws StripeFailure {
        RawRequestOptions.RawRequestOptionsBuilder options = RawRequestOptions.builder()
                .setAdditionalHeaders(Map.of("Stripe-Version", config.version()));
        if (idempotencyKey != null) {
            options.setIdempotencyKey(idempotencyKey);
        }
        try {
            StripeResponse response = client().rawRequest(method, path, body, options.build());
            return JSON.readTree(response.body());
        } catch (StripeException e) {
            int status = e.getStatusCode() == null ? 0 : e.getStatusCode();
            String code = e.getCode() != null ? e.getCode() : (status == 0 ? "api_connection_error" : "stripe_error");
            throw new StripeFailure(code, status, e.getUserMessage() != null ? e.getUserMessage() : e.getMessage(), e);
        } catch (Exception e) {
            throw new StripeFailure("invalid_response", 0, "unreadable Stripe response", e);
        }
    }

    private StripeClient client() {
        StripeClient c = client;
        if (c == null) {
            synchronized (this) {
                if (client == null) {
                    int timeoutMs = (int) config.timeout().toMillis();
                    client = StripeClient.builder()
                            .setApiKey(secretKey())
                            .setApiBase(config.apiBase())
                            .setConnectTimeout(timeoutMs)
                            .setReadTimeout(timeoutMs)
                            .setMaxNetworkRetries(2) // safe: every mutating call carries an idempotency key
                            .build();
                }
                c = client;
            }
        }
        return c;
    }

    private String secretKey() {
        return config.secretKey().filter(k -> !k.isBlank()).orElseThrow(() ->
                new IllegalStateException("broker.stripe.secret-key (BROKER_STRIPE_SECRET_KEY) is not configured"));
    }

    private static String encode(Map<String, String> form) {
        StringJoiner joiner = new StringJoiner("&");
        form.forEach((k, v) -> joiner.add(URLEncoder.encode(k, StandardCharsets.UTF_8) + "=" + URLEncoder.encode(v, StandardCharsets.UTF_8)));
        return joiner.toString();
    }

    public record MintedToken(String id) {
        @Override
        public String toString() {
            return "MintedToken[id=<redacted>]"; // an SPT is spendable: keep it out of logs
        }
    }
}
