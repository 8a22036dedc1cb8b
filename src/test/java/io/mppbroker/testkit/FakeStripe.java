package io.mppbroker.testkit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A local stand-in for the parts of Stripe's HTTP API that MPP uses: Shared Payment Tokens (issued and test-mode
 * granted) and PaymentIntents confirmed with them. It speaks Stripe's wire format, so real clients (stripe-java,
 * the {@code stripe} npm SDK used by mppx) work against it unchanged:
 * <ul>
 *   <li>form-encoded bodies with bracket notation; unknown params rejected like Stripe ({@code parameter_unknown});</li>
 *   <li>{@code Authorization: Bearer sk_test_...} or Basic with the key as user name; 401 otherwise;</li>
 *   <li>{@code Idempotency-Key}: same key and params replay the stored response with {@code Idempotent-Replayed: true}
 *       (mppx relies on that header for replay protection); same key with other params gives 400
 *       {@code idempotency_error}; keys are scoped per account as at Stripe;</li>
 *   <li>errors as {@code {"error":{"type","code","message","param"}}} with Stripe's status codes;
 *       {@code Request-Id} and {@code Stripe-Version} response headers.</li>
 * </ul>
 * Each secret key is its own account: a PaymentIntent belongs to the seller's key and cannot be read with the
 * buyer's. An issued token (minted by the buyer) is usable as a granted token by any other account unless
 * {@link #bindSellerProfile} says which network profile an account owns.
 * <p>
 * Stripe does not document the exact error codes for unusable SPTs; this fake answers 400
 * {@code invalid_request_error} with {@code shared_payment_token_deactivated} or
 * {@code shared_payment_token_usage_limit_exceeded}, and 402 {@code card_error} for declines (test payment
 * methods {@code pm_card_chargeDeclined}, {@code pm_card_chargeDeclinedInsufficientFunds}); clients should key on
 * status and type. {@code pm_card_authenticationRequired} yields a PaymentIntent in {@code requires_action}.
 * <p>
 * Never logs keys or tokens; records keep an account id derived from the key, not the key.
 */
public final class FakeStripe implements AutoCloseable {

    public static final String DEFAULT_API_VERSION = "2026-07-29.preview";
    static final String ISSUED_TOKENS = "/v1/shared_payment/issued_tokens";
    static final String GRANTED_TOKENS_HELPER = "/v1/test_helpers/shared_payment/granted_tokens";
    static final String GRANTED_TOKENS = "/v1/shared_payment/granted_tokens";
    static final String PAYMENT_INTENTS = "/v1/payment_intents";
    static final String CHARGES = "/v1/charges";
    static final String CUSTOMERS = "/v1/customers";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String ALPHANUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    private static final Pattern TEST_KEY = Pattern.compile("(sk|rk)_test_[A-Za-z0-9_]{1,240}");
    private static final Pattern PAYMENT_METHOD = Pattern.compile("pm_[A-Za-z0-9_]+");
    private static final Pattern CURRENCY = Pattern.compile("[a-z]{3}");
    private static final Pattern INTEGER = Pattern.compile("-?[0-9]{1,18}");
    private static final Pattern ID_PATH = Pattern.compile("/([A-Za-z0-9_]+)(/revoke)?");
    /** Stripe's general minimum charge per currency, minor units; 50 for the others (same table as mppx). */
    private static final Map<String, Long> MINIMUM_CHARGE = Map.ofEntries(
            Map.entry("usd", 50L), Map.entry("eur", 50L), Map.entry("gbp", 30L), Map.entry("chf", 50L),
            Map.entry("jpy", 50L), Map.entry("cad", 50L), Map.entry("aud", 50L), Map.entry("dkk", 250L),
            Map.entry("sek", 300L), Map.entry("nok", 300L), Map.entry("mxn", 1000L), Map.entry("hkd", 400L));

    public enum TokenKind { ISSUED, GRANTED }

    /** A Shared Payment Token as this fake holds it; {@code kind} tells which endpoint minted it. */
    public record IssuedToken(String id, TokenKind kind, String account, String paymentMethod, String currency,
                              long maxAmount, Long expiresAt, String networkBusinessProfile, String networkId,
                              String externalId, Map<String, String> metadata, String stripeVersion,
                              String idempotencyKey, long created, String deactivatedReason, Long deactivatedAt,
                              long amountCaptured, String paymentIntentId) {
        public boolean active() {
            return deactivatedReason == null;
        }
    }

    /** A PaymentIntent created through {@code POST /v1/payment_intents} (also declined ones). */
    public record PaymentIntentRecord(String id, String account, long amount, String currency, String status,
                                      boolean confirm, String sharedPaymentGrantedToken, String tokenParameter,
                                      Map<String, String> params, Map<String, String> metadata,
                                      String idempotencyKey, String stripeVersion, long created) {
    }

    /** One HTTP request as received (params verbatim; the API key is never kept). */
    public record RecordedRequest(String method, String path, String account, String stripeVersion,
                                  String idempotencyKey, Map<String, String> params, int status,
                                  boolean idempotentReplayed, String requestId) {
    }

    private final HttpServer server;
    private final ExecutorService executor;
    private final String baseUrl;
    private final Object lock = new Object();
    private final Map<String, Token> tokens = new LinkedHashMap<>();
    private final Map<String, PaymentIntent> paymentIntents = new LinkedHashMap<>();
    private final Map<String, IdempotentResult> idempotency = new HashMap<>();
    private final Map<String, String> sellerProfiles = new ConcurrentHashMap<>();
    private final List<RecordedRequest> requests = new ArrayList<>();
    /** Seeded charges and customers (JSON objects), oldest first, for the list endpoints. */
    private final Map<String, List<ObjectNode>> listed = new HashMap<>();
    private final AtomicInteger mintCalls = new AtomicInteger();
    private final AtomicLong clockOffsetMillis = new AtomicLong();
    private final AtomicInteger failuresToInject = new AtomicInteger();
    private volatile int injectedFailureStatus = 500;
    private volatile Duration responseDelay = Duration.ZERO;

    private FakeStripe() throws IOException {
        server = LocalHttpServer.loopback(0, 512);
        executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "fake-stripe");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
        baseUrl = "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public static FakeStripe start() {
        try {
            return new FakeStripe();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start FakeStripe", e);
        }
    }

    public String baseUrl() {
        return baseUrl;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    // ---- test introspection and switches ----

    public List<IssuedToken> issuedTokens() {
        synchronized (lock) {
            return tokens.values().stream().map(Token::snapshot).toList();
        }
    }

    public List<PaymentIntentRecord> paymentIntents() {
        synchronized (lock) {
            return paymentIntents.values().stream().map(PaymentIntent::snapshot).toList();
        }
    }

    public List<RecordedRequest> requests() {
        synchronized (lock) {
            return List.copyOf(requests);
        }
    }

    /** POSTs to the two minting endpoints, idempotent replays and rejected attempts included. */
    public int mintCalls() {
        return mintCalls.get();
    }

    /** The account id this fake derives from a secret key, as found in the records. */
    public static String accountOf(String secretKey) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(secretKey.getBytes(StandardCharsets.UTF_8));
            return "acct_" + HexFormat.of().formatHex(hash, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Declares that the account of {@code secretKey} is the seller with this Business Network profile: its
     * PaymentIntents then only accept issued tokens whose {@code seller_details[network_business_profile]} matches,
     * as Stripe scopes an SPT to one seller.
     */
    public void bindSellerProfile(String secretKey, String networkBusinessProfile) {
        sellerProfiles.put(accountOf(secretKey), networkBusinessProfile);
    }

    /** Adds a charge to the account of {@code secretKey}, listed by {@code GET /v1/charges}; returns its id. */
    public String seedCharge(String secretKey, long amount, String currency) {
        ObjectNode n = NODES.objectNode();
        n.put("id", "ch_" + randomId(24));
        n.put("object", "charge");
        n.put("amount", amount);
        n.put("currency", currency);
        n.put("status", "succeeded");
        return seed(CHARGES, secretKey, n);
    }

    /** Adds a customer to the account of {@code secretKey}, listed by {@code GET /v1/customers}; returns its id. */
    public String seedCustomer(String secretKey, String email) {
        ObjectNode n = NODES.objectNode();
        n.put("id", "cus_" + randomId(14));
        n.put("object", "customer");
        n.put("email", email);
        return seed(CUSTOMERS, secretKey, n);
    }

    private String seed(String path, String secretKey, ObjectNode object) {
        synchronized (lock) {
            List<ObjectNode> all = listed.computeIfAbsent(accountOf(secretKey) + path, k -> new ArrayList<>());
            object.put("created", nowSeconds());
            object.put("livemode", false);
            all.add(object);
            return object.get("id").asText();
        }
    }

    /** Stripe list semantics: newest first, {@code limit} 1..100 (default 10), cursor {@code starting_after}. */
    private String list(String path, Map<String, String> params, String account) {
        allowOnly(params, Set.of("limit", "starting_after", "ending_before"), "expand", "created");
        List<ObjectNode> newestFirst = new ArrayList<>(listed.getOrDefault(account + path, List.of()));
        java.util.Collections.reverse(newestFirst);
        long limit = params.containsKey("limit") ? integer(params, "limit", true) : 10;
        if (limit < 1 || limit > 100) {
            throw invalid("parameter_invalid_integer", "limit", "This value must be between 1 and 100.");
        }
        int from = 0;
        String after = params.get("starting_after");
        if (after != null) {
            from = -1;
            for (int i = 0; i < newestFirst.size(); i++) {
                if (newestFirst.get(i).get("id").asText().equals(after)) from = i + 1;
            }
            if (from < 0) {
                throw noSuch(path.equals(CHARGES) ? "charge" : "customer", after, "starting_after");
            }
        }
        int to = (int) Math.min(newestFirst.size(), from + limit);
        ObjectNode n = NODES.objectNode();
        n.put("object", "list");
        var data = n.putArray("data");
        newestFirst.subList(from, to).forEach(data::add);
        n.put("has_more", to < newestFirst.size());
        n.put("url", path);
        return n.toString();
    }

    private String retrieveListed(String path, String id, String account) {
        for (ObjectNode o : listed.getOrDefault(account + path, List.of())) {
            if (o.get("id").asText().equals(id)) return o.toString();
        }
        throw noSuch(path.equals(CHARGES) ? "charge" : "customer", id, "id");
    }

    /** Moves this fake's clock (token expiry) forward. */
    public void advanceTime(Duration duration) {
        clockOffsetMillis.addAndGet(duration.toMillis());
    }

    /** The next {@code count} requests fail with a Stripe {@code api_error} of this status, before any effect. */
    public void failNextRequests(int count, int status) {
        injectedFailureStatus = status;
        failuresToInject.set(count);
    }

    /** Every response is held back this long after the request took effect (client timeouts). */
    public void delayResponses(Duration delay) {
        responseDelay = delay;
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    // ---- HTTP ----

    private void handle(HttpExchange exchange) throws IOException {
        String requestId = "req_" + randomId(14);
        String method = exchange.getRequestMethod();
        String path = exchange.getRequestURI().getRawPath();
        String version = exchange.getRequestHeaders().getFirst("Stripe-Version");
        String idempotencyKey = exchange.getRequestHeaders().getFirst("Idempotency-Key");
        Response response;
        String account = null;
        Map<String, String> params = new LinkedHashMap<>();
        try {
            try {
                byte[] body = exchange.getRequestBody().readAllBytes();
                StripeForm.addTo(params, exchange.getRequestURI().getRawQuery());
                if (!"GET".equals(method)) {
                    StripeForm.addTo(params, new String(body, StandardCharsets.UTF_8));
                }
                if ("POST".equals(method) && (path.equals(ISSUED_TOKENS) || path.equals(GRANTED_TOKENS_HELPER))) {
                    mintCalls.incrementAndGet();
                }
                if (failuresToInject.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                    throw new StripeError(injectedFailureStatus, "api_error", null,
                            "An unknown error occurred", null);
                }
                account = authenticate(exchange.getRequestHeaders().getFirst("Authorization"));
                if (idempotencyKey != null && idempotencyKey.length() > 255) {
                    throw invalid(null, "Idempotency-Key",
                            "The Idempotency-Key header must be 255 characters or less.");
                }
                response = dispatch(method, path, params, account, version,
                        "POST".equals(method) ? idempotencyKey : null);
            } catch (StripeError e) {
                response = new Response(e.status, e.body(), false, false);
            } catch (RuntimeException e) {
                response = new Response(500, StripeError.body("api_error", null,
                        "An unknown error occurred in the fake: " + e.getClass().getSimpleName(), null), false, false);
            }
            synchronized (lock) {
                requests.add(new RecordedRequest(method, path, account, version, idempotencyKey,
                        Map.copyOf(params), response.status, response.replayed, requestId));
            }
            Duration delay = responseDelay;
            if (!delay.isZero()) {
                sleep(delay);
            }
            var headers = exchange.getResponseHeaders();
            headers.set("Content-Type", "application/json");
            headers.set("Request-Id", requestId);
            headers.set("Stripe-Version", version != null ? version : DEFAULT_API_VERSION);
            headers.set("Cache-Control", "no-cache, no-store");
            if (idempotencyKey != null && "POST".equals(method)) {
                headers.set("Idempotency-Key", idempotencyKey);
            }
            if (response.replayed) {
                headers.set("Idempotent-Replayed", "true");
            }
            byte[] bytes = response.body.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(response.status, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        } finally {
            exchange.close();
        }
    }

    private static String authenticate(String authorization) {
        if (authorization == null || authorization.isBlank()) {
            throw new StripeError(401, "invalid_request_error", null,
                    "You did not provide an API key. You need to provide your API key in the Authorization header, "
                            + "using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').", null);
        }
        String key = null;
        String[] parts = authorization.trim().split("\\s+", 2);
        if (parts.length == 2 && parts[0].equalsIgnoreCase("Bearer")) {
            key = parts[1].trim();
        } else if (parts.length == 2 && parts[0].equalsIgnoreCase("Basic")) {
            try {
                String decoded = new String(Base64.getDecoder().decode(parts[1].trim()), StandardCharsets.UTF_8);
                key = decoded.contains(":") ? decoded.substring(0, decoded.indexOf(':')) : decoded;
            } catch (IllegalArgumentException e) {
                key = null;
            }
        }
        if (key == null || !TEST_KEY.matcher(key).matches()) {
            throw new StripeError(401, "invalid_request_error", null,
                    "Invalid API Key provided: " + mask(key), null);
        }
        return accountOf(key);
    }

    private static String mask(String key) {
        if (key == null || key.length() < 12) {
            return "****";
        }
        return key.substring(0, key.indexOf('_', 3) + 1) + "*".repeat(12) + key.substring(key.length() - 4);
    }

    private Response dispatch(String method, String path, Map<String, String> params, String account,
                              String version, String idempotencyKey) {
        Route route = route(method, path);
        synchronized (lock) {
            if (idempotencyKey == null) {
                return new Response(200, route.run(params, account, version, null), false, true);
            }
            String scope = account + "\n" + idempotencyKey;
            String fingerprint = StripeForm.fingerprint(method, path, params);
            IdempotentResult previous = idempotency.get(scope);
            if (previous != null) {
                if (!previous.fingerprint.equals(fingerprint)) {
                    throw new StripeError(400, "idempotency_error", null,
                            "Keys for idempotent requests can only be used with the same parameters they were first "
                                    + "used with. Try using a key other than '" + idempotencyKey
                                    + "' if you meant to execute a different request.", null);
                }
                return new Response(previous.response.status, previous.response.body, true, true);
            }
            Response response;
            try {
                response = new Response(200, route.run(params, account, version, idempotencyKey), false, true);
            } catch (StripeError e) {
                response = new Response(e.status, e.body(), false, e.storable);
            }
            // Stripe keeps the result of any request that started executing; failed validation is not kept.
            if (response.storable) {
                idempotency.put(scope, new IdempotentResult(fingerprint, response));
            }
            return response;
        }
    }

    private Route route(String method, String path) {
        if (path.equals(ISSUED_TOKENS) && method.equals("POST")) {
            return (p, a, v, k) -> mint(TokenKind.ISSUED, p, a, v, k);
        }
        if (path.equals(GRANTED_TOKENS_HELPER) && method.equals("POST")) {
            return (p, a, v, k) -> mint(TokenKind.GRANTED, p, a, v, k);
        }
        if (path.equals(PAYMENT_INTENTS) && method.equals("POST")) {
            return this::createPaymentIntent;
        }
        if ((path.equals(CHARGES) || path.equals(CUSTOMERS)) && method.equals("GET")) {
            return (p, a, v, k) -> list(path, p, a);
        }
        for (String base : List.of(CHARGES, CUSTOMERS)) {
            if (path.startsWith(base + "/") && method.equals("GET") && ID_PATH.matcher(path.substring(base.length())).matches()
                    && !path.endsWith("/revoke")) {
                String id = path.substring(base.length() + 1);
                return (p, a, v, k) -> retrieveListed(base, id, a);
            }
        }
        for (String base : List.of(ISSUED_TOKENS, GRANTED_TOKENS_HELPER, GRANTED_TOKENS, PAYMENT_INTENTS)) {
            if (!path.startsWith(base + "/")) {
                continue;
            }
            Matcher m = ID_PATH.matcher(path.substring(base.length()));
            if (!m.matches()) {
                break;
            }
            String id = m.group(1);
            boolean revoke = m.group(2) != null;
            if (base.equals(ISSUED_TOKENS) && !revoke && method.equals("GET")) {
                return (p, a, v, k) -> retrieveIssued(id, p, a);
            }
            if (base.equals(ISSUED_TOKENS) && revoke && method.equals("POST")) {
                return (p, a, v, k) -> revoke(id, TokenKind.ISSUED, p, a);
            }
            if (base.equals(GRANTED_TOKENS_HELPER) && revoke && method.equals("POST")) {
                return (p, a, v, k) -> revoke(id, TokenKind.GRANTED, p, a);
            }
            if (base.equals(GRANTED_TOKENS) && !revoke && method.equals("GET")) {
                return (p, a, v, k) -> retrieveGranted(id, p, a);
            }
            if (base.equals(PAYMENT_INTENTS) && !revoke && method.equals("GET")) {
                return (p, a, v, k) -> retrievePaymentIntent(id, p, a);
            }
        }
        throw new StripeError(404, "invalid_request_error", null, "Unrecognized request URL (" + method + ": "
                + path + "). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.",
                null);
    }

    // ---- Shared Payment Tokens ----

    private String mint(TokenKind kind, Map<String, String> params, String account, String version,
                        String idempotencyKey) {
        allowOnly(params, kind == TokenKind.ISSUED
                        ? Set.of("payment_method", "usage_limits[currency]", "usage_limits[max_amount]",
                        "usage_limits[expires_at]", "seller_details[network_business_profile]",
                        "seller_details[external_id]", "setup_future_usage", "use_stripe_sdk", "return_url")
                        : Set.of("payment_method", "customer", "usage_limits[currency]", "usage_limits[max_amount]",
                        "usage_limits[expires_at]", "seller_details[network_id]", "seller_details[external_id]",
                        "setup_future_usage"),
                "metadata", "shared_metadata", "expand");
        String paymentMethod = required(params, "payment_method");
        if (!PAYMENT_METHOD.matcher(paymentMethod).matches()) {
            throw new StripeError(400, "invalid_request_error", "resource_missing",
                    "No such PaymentMethod: '" + paymentMethod + "'", "payment_method", true);
        }
        String currency = currency(params, "usage_limits[currency]");
        long maxAmount = integer(params, "usage_limits[max_amount]", true);
        if (maxAmount <= 0) {
            throw invalid("parameter_invalid_integer", "usage_limits[max_amount]",
                    "This value must be greater than or equal to 1.");
        }
        Long expiresAt = params.containsKey("usage_limits[expires_at]")
                ? integer(params, "usage_limits[expires_at]", true) : null;
        long now = nowSeconds();
        if (expiresAt != null && expiresAt <= now) {
            throw invalid("parameter_invalid_integer", "usage_limits[expires_at]",
                    "usage_limits[expires_at] must be in the future.");
        }
        String profile = params.get("seller_details[network_business_profile]");
        String networkId = params.get("seller_details[network_id]");
        String externalId = params.get("seller_details[external_id]");
        if (kind == TokenKind.ISSUED && profile == null && externalId == null) {
            throw new StripeError(400, "invalid_request_error", "parameter_missing",
                    "Missing required param: seller_details.", "seller_details");
        }
        Map<String, String> metadata = metadata(params, "metadata");
        metadata.putAll(metadata(params, "shared_metadata"));
        Token token = new Token("spt_" + randomId(24), kind, account, paymentMethod, currency, maxAmount, expiresAt,
                profile, networkId, externalId, Map.copyOf(metadata), version, idempotencyKey, now);
        tokens.put(token.id, token);
        return kind == TokenKind.ISSUED ? issuedJson(token) : grantedJson(token);
    }

    private String retrieveIssued(String id, Map<String, String> params, String account) {
        allowOnly(params, Set.of(), "expand");
        Token token = tokens.get(id);
        // The issued-token view belongs to the issuer's account only.
        if (token == null || token.kind != TokenKind.ISSUED || !token.account.equals(account)) {
            throw noSuch("shared_payment.issued_token", id, null);
        }
        return issuedJson(token);
    }

    private String retrieveGranted(String id, Map<String, String> params, String account) {
        allowOnly(params, Set.of(), "expand");
        Token token = tokens.get(id);
        if (token == null || !grantedTo(token, account)) {
            throw noSuch("shared_payment.granted_token", id, null);
        }
        return grantedJson(token);
    }

    private String revoke(String id, TokenKind kind, Map<String, String> params, String account) {
        allowOnly(params, Set.of(), "expand");
        Token token = tokens.get(id);
        if (token == null || token.kind != kind || !token.account.equals(account)) {
            throw noSuch(kind == TokenKind.ISSUED ? "shared_payment.issued_token" : "shared_payment.granted_token",
                    id, null);
        }
        if (token.deactivatedReason(nowSeconds()) == null) {
            token.deactivatedReason = "revoked";
            token.deactivatedAt = nowSeconds();
        }
        return kind == TokenKind.ISSUED ? issuedJson(token) : grantedJson(token);
    }

    /**
     * A token is usable by the seller it was granted to. Test-mode granted tokens name the seller by
     * {@code seller_details[network_id]} (mppx's own buyer mints them with a test key and the seller then
     * charges them), live issued tokens by {@code seller_details[network_business_profile]}. An account with
     * no bound profile accepts any token, as in a single-account test setup.
     */
    private boolean grantedTo(Token token, String account) {
        if (token.account.equals(account)) {
            return true;
        }
        String profile = sellerProfiles.get(account);
        String grantedTo = token.kind == TokenKind.GRANTED ? token.networkId : token.networkBusinessProfile;
        return profile == null || profile.equals(grantedTo);
    }

    // ---- PaymentIntents ----

    private String createPaymentIntent(Map<String, String> params, String account, String version,
                                       String idempotencyKey) {
        allowOnly(params, Set.of("amount", "currency", "confirm", "automatic_payment_methods[enabled]",
                        "automatic_payment_methods[allow_redirects]", "shared_payment_granted_token",
                        "payment_method_data[shared_payment_granted_token]", "payment_method_data[type]",
                        "description", "customer", "receipt_email", "application_fee_amount", "on_behalf_of",
                        "transfer_data[destination]", "transfer_data[amount]", "transfer_group",
                        "hooks[inputs][tax][calculation]", "capture_method", "statement_descriptor",
                        "statement_descriptor_suffix", "return_url", "off_session"),
                "metadata", "expand", "payment_method_types");
        long amount = integer(params, "amount", true);
        String currency = currency(params, "currency");
        long minimum = MINIMUM_CHARGE.getOrDefault(currency, 50L);
        if (amount < minimum) {
            throw invalid("amount_too_small", "amount",
                    "Amount must be at least " + minimum + " " + currency + " (minor units)");
        }
        boolean confirm = bool(params, "confirm");
        Map<String, String> metadata = metadata(params, "metadata");
        String topLevel = params.get("shared_payment_granted_token");
        String nested = params.get("payment_method_data[shared_payment_granted_token]");
        if (topLevel != null && nested != null) {
            throw invalid("parameter_invalid_string", "shared_payment_granted_token",
                    "You may only specify one of these parameters: shared_payment_granted_token, "
                            + "payment_method_data[shared_payment_granted_token].");
        }
        String tokenParam = topLevel != null ? "shared_payment_granted_token"
                : nested != null ? "payment_method_data[shared_payment_granted_token]" : null;
        String tokenId = topLevel != null ? topLevel : nested;
        long now = nowSeconds();
        PaymentIntent pi = new PaymentIntent("pi_" + randomId(24), account, amount, currency, confirm, tokenId,
                tokenParam, Map.copyOf(params), Map.copyOf(metadata), idempotencyKey, version, now);
        pi.description = params.get("description");
        if (tokenId == null) {
            pi.status = "requires_payment_method";
            paymentIntents.put(pi.id, pi);
            return paymentIntentJson(pi);
        }
        Token token = tokens.get(tokenId);
        if (token == null || !grantedTo(token, account)) {
            throw new StripeError(400, "invalid_request_error", "resource_missing",
                    "No such shared_payment_granted_token: '" + tokenId + "'", tokenParam, true);
        }
        String deactivated = token.deactivatedReason(now);
        if (deactivated != null) {
            throw new StripeError(400, "invalid_request_error", "shared_payment_token_deactivated",
                    "The SharedPaymentToken '" + tokenId + "' is no longer active (" + deactivated + ").",
                    tokenParam, true);
        }
        if (!token.currency.equals(currency)) {
            throw new StripeError(400, "invalid_request_error", "shared_payment_token_usage_limit_exceeded",
                    "The currency " + currency + " does not match the SharedPaymentToken's usage limit currency "
                            + token.currency + ".", "currency", true);
        }
        if (amount > token.maxAmount - token.amountCaptured) {
            throw new StripeError(400, "invalid_request_error", "shared_payment_token_usage_limit_exceeded",
                    "The amount " + amount + " exceeds the SharedPaymentToken's usage limit of "
                            + (token.maxAmount - token.amountCaptured) + ".", "amount", true);
        }
        pi.paymentMethod = token.paymentMethod;
        if (!confirm) {
            pi.status = "requires_confirmation";
            paymentIntents.put(pi.id, pi);
            return paymentIntentJson(pi);
        }
        switch (token.paymentMethod) {
            case "pm_card_chargeDeclined", "pm_card_chargeDeclinedInsufficientFunds" -> {
                String declineCode = token.paymentMethod.endsWith("InsufficientFunds")
                        ? "insufficient_funds" : "generic_decline";
                pi.status = "requires_payment_method";
                pi.lastErrorCode = "card_declined";
                paymentIntents.put(pi.id, pi);
                ObjectNode error = NODES.objectNode();
                error.put("type", "card_error");
                error.put("code", "card_declined");
                error.put("decline_code", declineCode);
                error.put("message", declineCode.equals("insufficient_funds")
                        ? "Your card has insufficient funds." : "Your card was declined.");
                error.putNull("param");
                error.set("payment_intent", paymentIntentNode(pi));
                ObjectNode body = NODES.objectNode();
                body.set("error", error);
                throw new StripeError(402, body.toString(), true);
            }
            case "pm_card_authenticationRequired" -> {
                pi.status = "requires_action";
                paymentIntents.put(pi.id, pi);
                return paymentIntentJson(pi);
            }
            default -> {
                pi.status = "succeeded";
                pi.latestCharge = "ch_" + randomId(24);
                token.amountCaptured += amount;
                // SPTs are single use (draft-stripe-charge §SPT Single-Use Constraint).
                token.deactivatedReason = "consumed";
                token.deactivatedAt = now;
                token.paymentIntentId = pi.id;
                paymentIntents.put(pi.id, pi);
                return paymentIntentJson(pi);
            }
        }
    }

    private String retrievePaymentIntent(String id, Map<String, String> params, String account) {
        allowOnly(params, Set.of("client_secret"), "expand");
        PaymentIntent pi = paymentIntents.get(id);
        if (pi == null || !pi.account.equals(account)) {
            throw noSuch("payment_intent", id, "id");
        }
        return paymentIntentJson(pi);
    }

    // ---- JSON views (field names as in Stripe's API reference) ----

    private String issuedJson(Token t) {
        ObjectNode n = tokenBase(t, "shared_payment.issued_token");
        n.put("payment_method", t.paymentMethod);
        ObjectNode seller = n.putObject("seller_details");
        seller.put("external_id", t.externalId);
        seller.put("network_business_profile", t.networkBusinessProfile);
        n.putNull("setup_future_usage");
        n.putNull("next_action");
        n.put("status", t.deactivatedReason(nowSeconds()) == null ? "active" : "deactivated");
        return n.toString();
    }

    private String grantedJson(Token t) {
        ObjectNode n = tokenBase(t, "shared_payment.granted_token");
        n.putObject("agent_details").put("network_business_profile", (String) null);
        ObjectNode pmd = n.putObject("payment_method_details");
        pmd.put("type", "card");
        ObjectNode card = pmd.putObject("card");
        card.put("brand", "visa");
        card.put("country", "US");
        card.put("exp_month", 12);
        card.put("exp_year", 2034);
        card.put("funding", "credit");
        card.put("last4", "4242");
        return n.toString();
    }

    private ObjectNode tokenBase(Token t, String object) {
        long now = nowSeconds();
        ObjectNode n = NODES.objectNode();
        n.put("id", t.id);
        n.put("object", object);
        n.put("created", t.created);
        String reason = t.deactivatedReason(now);
        if (reason == null) {
            n.putNull("deactivated_at");
            n.putNull("deactivated_reason");
        } else {
            n.put("deactivated_at", t.deactivatedAt != null ? t.deactivatedAt : t.expiresAt);
            n.put("deactivated_reason", reason);
        }
        n.put("livemode", false);
        n.set("shared_metadata", JSON.valueToTree(t.metadata));
        n.set("metadata", JSON.valueToTree(t.metadata));
        ObjectNode captured = n.putObject("usage_details").putObject("amount_captured");
        captured.put("currency", t.currency);
        captured.put("value", t.amountCaptured);
        ObjectNode limits = n.putObject("usage_limits");
        limits.put("currency", t.currency);
        if (t.expiresAt == null) {
            limits.putNull("expires_at");
        } else {
            limits.put("expires_at", t.expiresAt);
        }
        limits.put("max_amount", t.maxAmount);
        return n;
    }

    private String paymentIntentJson(PaymentIntent pi) {
        return paymentIntentNode(pi).toString();
    }

    private ObjectNode paymentIntentNode(PaymentIntent pi) {
        ObjectNode n = NODES.objectNode();
        n.put("id", pi.id);
        n.put("object", "payment_intent");
        n.put("amount", pi.amount);
        n.put("amount_capturable", 0);
        n.put("amount_received", "succeeded".equals(pi.status) ? pi.amount : 0);
        ObjectNode apm = n.putObject("automatic_payment_methods");
        apm.put("enabled", !"false".equals(pi.params.get("automatic_payment_methods[enabled]")));
        apm.put("allow_redirects", pi.params.getOrDefault("automatic_payment_methods[allow_redirects]", "always"));
        n.put("capture_method", "automatic");
        n.put("client_secret", pi.id + "_secret_" + randomId(24));
        n.put("confirmation_method", "automatic");
        n.put("created", pi.created);
        n.put("currency", pi.currency);
        n.putNull("customer");
        n.put("description", pi.description);
        if (pi.lastErrorCode == null) {
            n.putNull("last_payment_error");
        } else {
            ObjectNode err = n.putObject("last_payment_error");
            err.put("type", "card_error");
            err.put("code", pi.lastErrorCode);
        }
        n.put("latest_charge", pi.latestCharge);
        n.put("livemode", false);
        n.set("metadata", JSON.valueToTree(pi.metadata));
        if ("requires_action".equals(pi.status)) {
            n.putObject("next_action").put("type", "use_stripe_sdk");
        } else {
            n.putNull("next_action");
        }
        n.put("payment_method", pi.paymentMethod);
        n.putArray("payment_method_types").add("card");
        n.put("shared_payment_granted_token", pi.tokenId);
        n.put("status", pi.status);
        return n;
    }

    // ---- parameter checks, worded like Stripe's ----

    private static void allowOnly(Map<String, String> params, Set<String> names, String... prefixes) {
        for (String key : params.keySet()) {
            if (names.contains(key)) {
                continue;
            }
            boolean prefixed = false;
            for (String prefix : prefixes) {
                if (key.startsWith(prefix + "[")) {
                    prefixed = true;
                    break;
                }
            }
            if (!prefixed) {
                throw invalid("parameter_unknown", key, "Received unknown parameter: " + key);
            }
        }
    }

    private static String required(Map<String, String> params, String name) {
        String value = params.get(name);
        if (value == null || value.isEmpty()) {
            throw new StripeError(400, "invalid_request_error", "parameter_missing",
                    "Missing required param: " + name + ".", name);
        }
        return value;
    }

    private static long integer(Map<String, String> params, String name, boolean required) {
        String value = required ? required(params, name) : params.get(name);
        if (!INTEGER.matcher(value).matches()) {
            throw invalid("parameter_invalid_integer", name, "Invalid integer: " + value);
        }
        return Long.parseLong(value);
    }

    private static String currency(Map<String, String> params, String name) {
        String value = required(params, name).toLowerCase();
        if (!CURRENCY.matcher(value).matches()) {
            throw invalid(null, name, "Invalid currency: " + value + ".");
        }
        return value;
    }

    private static boolean bool(Map<String, String> params, String name) {
        String value = params.get(name);
        if (value == null) {
            return false;
        }
        if (!value.equals("true") && !value.equals("false")) {
            throw invalid("parameter_invalid_boolean", name, "Invalid boolean: " + value);
        }
        return value.equals("true");
    }

    private static Map<String, String> metadata(Map<String, String> params, String prefix) {
        Map<String, String> metadata = StripeForm.sub(params, prefix);
        if (metadata.size() > 50) {
            throw invalid(null, prefix, "You can specify up to 50 keys in " + prefix + ".");
        }
        metadata.forEach((k, v) -> {
            if (k.length() > 40) {
                throw invalid(null, prefix + "[" + k + "]", "Metadata keys can have up to 40 characters.");
            }
            if (v.length() > 500) {
                throw invalid(null, prefix + "[" + k + "]", "Metadata values can have up to 500 characters.");
            }
        });
        return metadata;
    }

    private static StripeError invalid(String code, String param, String message) {
        return new StripeError(400, "invalid_request_error", code, message, param);
    }

    private static StripeError noSuch(String object, String id, String param) {
        return new StripeError(404, "invalid_request_error", "resource_missing",
                "No such " + object + ": '" + id + "'", param, true);
    }

    private long nowSeconds() {
        return Instant.now().plusMillis(clockOffsetMillis.get()).getEpochSecond();
    }

    static String randomId(int length) {
        StringBuilder sb = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            sb.append(ALPHANUM.charAt(RANDOM.nextInt(ALPHANUM.length())));
        }
        return sb.toString();
    }

    private static void sleep(Duration d) {
        try {
            TimeUnit.MILLISECONDS.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- state ----

    @FunctionalInterface
    private interface Route {
        String run(Map<String, String> params, String account, String version, String idempotencyKey);
    }

    private record Response(int status, String body, boolean replayed, boolean storable) {
    }

    private record IdempotentResult(String fingerprint, Response response) {
    }

    /** A Stripe API error; {@code storable} when it arose after validation, so an idempotent retry replays it. */
    private static final class StripeError extends RuntimeException {
        final int status;
        final String json;
        final boolean storable;

        StripeError(int status, String type, String code, String message, String param) {
            this(status, type, code, message, param, false);
        }

        StripeError(int status, String type, String code, String message, String param, boolean storable) {
            this(status, body(type, code, message, param), storable);
        }

        StripeError(int status, String json, boolean storable) {
            super(json, null, false, false);
            this.status = status;
            this.json = json;
            this.storable = storable;
        }

        String body() {
            return json;
        }

        static String body(String type, String code, String message, String param) {
            ObjectNode error = NODES.objectNode();
            error.put("type", type);
            if (code != null) {
                error.put("code", code);
                error.put("doc_url", "https://stripe.com/docs/error-codes/" + code.replace('_', '-'));
            }
            error.put("message", message);
            if (param != null) {
                error.put("param", param);
            }
            ObjectNode body = NODES.objectNode();
            body.set("error", error);
            return body.toString();
        }
    }

    private static final class Token {
        final String id;
        final TokenKind kind;
        final String account;
        final String paymentMethod;
        final String currency;
        final long maxAmount;
        final Long expiresAt;
        final String networkBusinessProfile;
        final String networkId;
        final String externalId;
        final Map<String, String> metadata;
        final String stripeVersion;
        final String idempotencyKey;
        final long created;
        String deactivatedReason;
        Long deactivatedAt;
        long amountCaptured;
        String paymentIntentId;

        Token(String id, TokenKind kind, String account, String paymentMethod, String currency, long maxAmount,
              Long expiresAt, String networkBusinessProfile, String networkId, String externalId,
              Map<String, String> metadata, String stripeVersion, String idempotencyKey, long created) {
            this.id = id;
            this.kind = kind;
            this.account = account;
            this.paymentMethod = paymentMethod;
            this.currency = currency;
            this.maxAmount = maxAmount;
            this.expiresAt = expiresAt;
            this.networkBusinessProfile = networkBusinessProfile;
            this.networkId = networkId;
            this.externalId = externalId;
            this.metadata = metadata;
            this.stripeVersion = stripeVersion;
            this.idempotencyKey = idempotencyKey;
            this.created = created;
        }

        String deactivatedReason(long now) {
            if (deactivatedReason != null) {
                return deactivatedReason;
            }
            return expiresAt != null && expiresAt <= now ? "expired" : null;
        }

        IssuedToken snapshot() {
            return new IssuedToken(id, kind, account, paymentMethod, currency, maxAmount, expiresAt,
                    networkBusinessProfile, networkId, externalId, metadata, stripeVersion, idempotencyKey, created,
                    deactivatedReason, deactivatedAt, amountCaptured, paymentIntentId);
        }
    }

    private static final class PaymentIntent {
        final String id;
        final String account;
        final long amount;
        final String currency;
        final boolean confirm;
        final String tokenId;
        final String tokenParam;
        final Map<String, String> params;
        final Map<String, String> metadata;
        final String idempotencyKey;
        final String stripeVersion;
        final long created;
        String status;
        String description;
        String paymentMethod;
        String latestCharge;
        String lastErrorCode;

        PaymentIntent(String id, String account, long amount, String currency, boolean confirm, String tokenId,
                      String tokenParam, Map<String, String> params, Map<String, String> metadata,
                      String idempotencyKey, String stripeVersion, long created) {
            this.id = id;
            this.account = account;
            this.amount = amount;
            this.currency = currency;
            this.confirm = confirm;
            this.tokenId = tokenId;
            this.tokenParam = tokenParam;
            this.params = params;
            this.metadata = metadata;
            this.idempotencyKey = idempotencyKey;
            this.stripeVersion = stripeVersion;
            this.created = created;
        }

        PaymentIntentRecord snapshot() {
            return new PaymentIntentRecord(id, account, amount, currency, status, confirm, tokenId, tokenParam,
                    params, metadata, idempotencyKey, stripeVersion, created);
        }
    }
}
