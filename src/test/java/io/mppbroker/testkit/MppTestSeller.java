package io.mppbroker.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.erdtman.jcs.JsonCanonicalizer;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

/**
 * An MPP seller (stripe / charge) written from the drafts, settling through {@link FakeStripe} over real HTTP.
 * <p>
 * Challenges: {@code id} = base64url(HMAC-SHA256(secret, realm|method|intent|request|expires|digest|opaque)) per
 * draft-httpauth-payment §Challenge Binding (with mppx's extra {@code header} slot before {@code opaque} when
 * {@link Builder#credentialHeader} is set); {@code request} = base64url of JCS JSON; {@code expires} RFC 3339 with
 * milliseconds; {@code digest} (RFC 9530 {@code sha-256=:...:}) for POST/PUT/PATCH. Credentials are checked for
 * HMAC, route binding (amount/currency/network), expiry, body digest, single use and {@code payload.spt}, then
 * settled with {@code POST /v1/payment_intents} shaped like mppx 0.11.0 does it. Every failure is a problem+json
 * with a fresh challenge.
 * <p>
 * Misbehaviour switches let tests play a dishonest or slow seller. Thread-safe.
 */
public final class MppTestSeller implements AutoCloseable {

    public static final String PROBLEM_BASE = "https://paymentauth.org/problems/";
    public static final String STRIPE_API_VERSION = FakeStripe.DEFAULT_API_VERSION;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Set<String> BODY_METHODS = Set.of("POST", "PUT", "PATCH");

    /** A payment this seller settled. {@code bodySha256} is the hex SHA-256 of the paid request's body. */
    public record SellerPayment(String challengeId, String paymentIntentId, String amount, String currency,
                                String method, String path, String bodySha256, Instant settledAt) {
    }

    /** One priced offer of a route; several offers give several challenges. */
    private record Offer(String amountMinor, String currency, String description) {
    }

    /** A challenge offered beside the stripe ones that this seller cannot settle (other method or intent). */
    private record ExtraOffer(String method, String intent, String requestJson) {
    }

    private record Canned(int status, String contentType, byte[] body) {
    }

    private final HttpServer server;
    private final ExecutorService executor;
    private final HttpClient stripeHttp;
    private final String stripeBaseUrl;
    private final String stripeSecretKey;
    private final String networkId;
    private final String realm;
    private final byte[] hmacKey;
    private final Duration challengeTtl;
    private final boolean challengesOnSeparateLines;
    private final String credentialHeader;
    private final List<String> extraWwwAuthenticate;
    private final Map<String, List<Offer>> offers = new ConcurrentHashMap<>();
    private final Map<String, List<ExtraOffer>> extraOffers = new ConcurrentHashMap<>();
    private final Map<String, Map<String, String>> opaque = new ConcurrentHashMap<>();
    private final Map<String, String> pendingAmountChanges = new ConcurrentHashMap<>();
    private final Map<String, Duration> settlementDelays = new ConcurrentHashMap<>();
    private final Map<String, Canned> unpaidResponses = new ConcurrentHashMap<>();
    private final Map<String, Canned> afterSettlementResponses = new ConcurrentHashMap<>();
    private final Map<String, Canned> beforeSettlementResponses = new ConcurrentHashMap<>();
    private final Set<String> usedChallengeIds = ConcurrentHashMap.newKeySet();
    // Not a CopyOnWriteArrayList: bench/e2e records tens of thousands of payments, and each add would copy them all.
    private final Queue<SellerPayment> payments = new ConcurrentLinkedQueue<>();
    private final AtomicInteger challengesIssued = new AtomicInteger();
    private final String baseUrl;

    private MppTestSeller(Builder b) throws IOException {
        this.stripeBaseUrl = b.stripeBaseUrl;
        this.stripeSecretKey = b.stripeSecretKey;
        this.networkId = b.networkId;
        this.realm = b.realm;
        this.hmacKey = b.hmacSecret.getBytes(StandardCharsets.UTF_8);
        this.challengeTtl = b.challengeTtl;
        this.challengesOnSeparateLines = b.challengesOnSeparateLines;
        this.credentialHeader = b.credentialHeader;
        this.extraWwwAuthenticate = List.copyOf(b.extraWwwAuthenticate);
        this.stripeHttp = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        server = LocalHttpServer.loopback(0, 512);
        executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "mpp-test-seller");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
        baseUrl = "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public static Builder builder(String fakeStripeBaseUrl) {
        return new Builder(fakeStripeBaseUrl);
    }

    public static MppTestSeller start(String fakeStripeBaseUrl) {
        return builder(fakeStripeBaseUrl).start();
    }

    public static final class Builder {
        private final String stripeBaseUrl;
        private String stripeSecretKey = "sk_test_mpp_test_seller_" + FakeStripe.randomId(16);
        private String networkId = "profile_test_mpp_test_seller";
        private String realm = "127.0.0.1";
        private String hmacSecret = FakeStripe.randomId(43);
        private Duration challengeTtl = Duration.ofMinutes(5);
        private boolean challengesOnSeparateLines;
        private String credentialHeader;
        private final List<String> extraWwwAuthenticate = new ArrayList<>();

        private Builder(String stripeBaseUrl) {
            this.stripeBaseUrl = stripeBaseUrl;
        }

        /** The seller's own Stripe key (its account at the fake). */
        public Builder stripeSecretKey(String key) {
            this.stripeSecretKey = key;
            return this;
        }

        /** {@code methodDetails.networkId}: the seller's Business Network profile. */
        public Builder networkId(String networkId) {
            this.networkId = networkId;
            return this;
        }

        public Builder realm(String realm) {
            this.realm = realm;
            return this;
        }

        /** HMAC secret for challenge ids (mppx: {@code MPP_SECRET_KEY}, UTF-8 bytes). */
        public Builder hmacSecret(String secret) {
            this.hmacSecret = secret;
            return this;
        }

        public Builder challengeTtl(Duration ttl) {
            this.challengeTtl = ttl;
            return this;
        }

        /** One {@code WWW-Authenticate} line per challenge (spec examples) instead of one joined line (mppx). */
        public Builder challengesOnSeparateLines(boolean separate) {
            this.challengesOnSeparateLines = separate;
            return this;
        }

        /**
         * Ask for the credential in this header (mppx {@code requiresAuth}: {@code Payment-Authorization});
         * the challenges then carry {@code header="..."}, bound into the id.
         */
        public Builder credentialHeader(String headerName) {
            this.credentialHeader = headerName;
            return this;
        }

        /** An additional {@code WWW-Authenticate} line sent verbatim with each 402, e.g. {@code Bearer realm="x"}. */
        public Builder extraWwwAuthenticate(String value) {
            this.extraWwwAuthenticate.add(value);
            return this;
        }

        public MppTestSeller start() {
            try {
                return new MppTestSeller(this);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start MppTestSeller", e);
            }
        }
    }

    // ---- configuration ----

    /** Prices a route; calling it again for the same route adds another offer (e.g. eur beside usd). */
    public MppTestSeller price(String method, String path, String amountMinor, String currency) {
        return price(method, path, amountMinor, currency, null);
    }

    public MppTestSeller price(String method, String path, String amountMinor, String currency,
                               String description) {
        if (!amountMinor.matches("[0-9]+")) {
            throw new IllegalArgumentException("amount must be minor units: " + amountMinor);
        }
        offers.compute(key(method, path), (k, list) -> {
            List<Offer> next = list == null ? new ArrayList<>() : new ArrayList<>(list);
            next.add(new Offer(amountMinor, currency.toLowerCase(), description));
            return List.copyOf(next);
        });
        return this;
    }

    /**
     * Also offer a challenge for another method or intent (e.g. {@code tempo}/{@code charge} or
     * {@code stripe}/{@code subscription}) that this seller refuses to settle. {@code requestJson} is its request.
     */
    public MppTestSeller alsoOffer(String method, String path, String paymentMethod, String intent,
                                   String requestJson) {
        extraOffers.compute(key(method, path), (k, list) -> {
            List<ExtraOffer> next = list == null ? new ArrayList<>() : new ArrayList<>(list);
            next.add(new ExtraOffer(paymentMethod, intent, requestJson));
            return List.copyOf(next);
        });
        return this;
    }

    /** Server correlation data sent as {@code opaque} (bound into the id) on this route's challenges. */
    public MppTestSeller opaque(String method, String path, Map<String, String> values) {
        opaque.put(key(method, path), Map.copyOf(values));
        return this;
    }

    /** After the next challenge for {@code path}, the price becomes {@code newAmountMinor} (all methods). */
    public MppTestSeller changeAmountAfterChallenge(String path, String newAmountMinor) {
        pendingAmountChanges.put(path, newAmountMinor);
        return this;
    }

    /** Settle the payment, then wait this long before answering (client timeouts: charged, not delivered). */
    public MppTestSeller delayAfterSettlement(String path, Duration delay) {
        settlementDelays.put(path, delay);
        return this;
    }

    /** Answer {@code path} with this status and body and no payment at all (e.g. 200 free, 404, 500). */
    public MppTestSeller respondWithoutPayment(String path, int status, String body) {
        unpaidResponses.put(path, new Canned(status, "application/json", body.getBytes(StandardCharsets.UTF_8)));
        return this;
    }

    /** Settle the payment, then answer with this status and body and no receipt (e.g. 403 or 500 after paying). */
    public MppTestSeller respondAfterSettlement(String path, int status, String body) {
        afterSettlementResponses.put(path,
                new Canned(status, "application/json", body.getBytes(StandardCharsets.UTF_8)));
        return this;
    }

    /**
     * Accept the credential but fail before charging it: answer with this status and body, no receipt, and leave the
     * token unspent (a seller that crashes between verifying and settling).
     */
    public MppTestSeller failBeforeSettlement(String path, int status, String body) {
        beforeSettlementResponses.put(path,
                new Canned(status, "application/json", body.getBytes(StandardCharsets.UTF_8)));
        return this;
    }

    // ---- introspection ----

    public List<SellerPayment> payments() {
        return List.copyOf(payments);
    }

    /** Challenges issued so far (each offer of a 402 counts). */
    public int challengesIssued() {
        return challengesIssued.get();
    }

    public String baseUrl() {
        return baseUrl;
    }

    public String networkId() {
        return networkId;
    }

    public String realm() {
        return realm;
    }

    /** The seller's Stripe key, e.g. for {@link FakeStripe#bindSellerProfile}. */
    public String stripeSecretKey() {
        return stripeSecretKey;
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    // ---- HTTP ----

    private void handle(HttpExchange exchange) throws IOException {
        try {
            String method = exchange.getRequestMethod().toUpperCase();
            String path = exchange.getRequestURI().getPath();
            byte[] body = exchange.getRequestBody().readAllBytes();
            Canned unpaid = unpaidResponses.get(path);
            if (unpaid != null) {
                send(exchange, unpaid.status, unpaid.contentType, unpaid.body, Map.of());
                return;
            }
            String routeKey = key(method, path);
            if (!offers.containsKey(routeKey) && !extraOffers.containsKey(routeKey)) {
                send(exchange, 404, "application/json", "{\"error\":\"not found\"}".getBytes(StandardCharsets.UTF_8),
                        Map.of());
                return;
            }
            String credential = credentialFrom(exchange);
            if (credential == null) {
                refuse(exchange, method, path, body, 402, "payment-required", "Payment Required",
                        "Payment is required.");
                pendingAmountChange(path);
                return;
            }
            verifyAndSettle(exchange, method, path, body, credential);
        } catch (RuntimeException e) {
            send(exchange, 500, "application/json", "{\"error\":\"internal\"}".getBytes(StandardCharsets.UTF_8),
                    Map.of());
        } finally {
            exchange.close();
        }
    }

    private String credentialFrom(HttpExchange exchange) {
        String header = credentialHeader != null ? credentialHeader : "Authorization";
        for (String value : exchange.getRequestHeaders().getOrDefault(header, List.of())) {
            String trimmed = value.trim();
            if (trimmed.regionMatches(true, 0, "Payment ", 0, 8)) {
                return trimmed.substring(8).trim();
            }
        }
        return null;
    }

    private void verifyAndSettle(HttpExchange exchange, String method, String path, byte[] body, String encoded)
            throws IOException {
        JsonNode credential;
        try {
            credential = JSON.readTree(base64UrlDecode(encoded));
        } catch (IOException | IllegalArgumentException e) {
            credential = null;
        }
        JsonNode challenge = credential == null ? null : credential.get("challenge");
        if (credential == null || !credential.isObject() || challenge == null || !challenge.isObject()
                || !credential.path("payload").isObject()
                || !allText(challenge, "id", "realm", "method", "intent", "request")) {
            refuse(exchange, method, path, body, 402, "malformed-credential", "Malformed Credential",
                    "Credential is not base64url JSON with challenge and payload objects.");
            return;
        }
        String id = challenge.get("id").asText();
        // Slots exactly as echoed: the id must be the HMAC over what the client sends back.
        String expected = challengeId(challenge.get("realm").asText(), challenge.get("method").asText(),
                challenge.get("intent").asText(), challenge.get("request").asText(), text(challenge, "expires"),
                text(challenge, "digest"), text(challenge, "header"), text(challenge, "opaque"));
        if (!MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII),
                id.getBytes(StandardCharsets.US_ASCII))) {
            refuse(exchange, method, path, body, 402, "invalid-challenge", "Invalid Challenge",
                    "Challenge was not issued by this server.");
            return;
        }
        if (!"stripe".equals(challenge.get("method").asText()) || !"charge".equals(challenge.get("intent").asText())) {
            refuse(exchange, method, path, body, 400, "method-unsupported", "Method Unsupported",
                    "This seller settles stripe/charge only.");
            return;
        }
        JsonNode request;
        try {
            request = JSON.readTree(base64UrlDecode(challenge.get("request").asText()));
        } catch (IOException | IllegalArgumentException e) {
            refuse(exchange, method, path, body, 402, "malformed-credential", "Malformed Credential",
                    "request is not base64url JSON.");
            return;
        }
        String amount = request.path("amount").asText();
        String currency = request.path("currency").asText();
        String routeKey = key(method, path);
        List<Offer> current = offers.getOrDefault(routeKey, List.of());
        boolean matches = current.stream().anyMatch(o -> o.amountMinor.equals(amount) && o.currency.equals(currency))
                && networkId.equals(request.path("methodDetails").path("networkId").asText())
                && realm.equals(challenge.get("realm").asText())
                && (BODY_METHODS.contains(method) == (text(challenge, "digest") != null))
                && opaqueMatches(routeKey, text(challenge, "opaque"));
        if (!matches) {
            boolean tooLow = amount.matches("[0-9]{1,18}") && current.stream().anyMatch(
                    o -> o.currency.equals(currency) && Long.parseLong(amount) < Long.parseLong(o.amountMinor));
            if (tooLow) {
                refuse(exchange, method, path, body, 402, "payment-insufficient", "Payment Insufficient",
                        "The price of this resource is now higher than the challenge you paid.");
            } else {
                refuse(exchange, method, path, body, 402, "invalid-challenge", "Invalid Challenge",
                        "Credential does not match this route's requirements.");
            }
            return;
        }
        String expires = text(challenge, "expires");
        if (expires == null) {
            refuse(exchange, method, path, body, 402, "invalid-challenge", "Invalid Challenge",
                    "Missing required expires field.");
            return;
        }
        try {
            if (!Instant.parse(expires).isAfter(Instant.now())) {
                refuse(exchange, method, path, body, 402, "payment-expired", "Payment Expired",
                        "Challenge expired at " + expires + ".");
                return;
            }
        } catch (DateTimeParseException e) {
            refuse(exchange, method, path, body, 402, "invalid-challenge", "Invalid Challenge",
                    "Malformed expires timestamp.");
            return;
        }
        String digest = text(challenge, "digest");
        if (digest != null && !digest.equals(contentDigest(body))) {
            refuse(exchange, method, path, body, 402, "verification-failed", "Verification Failed",
                    "Request body does not match the challenge digest.");
            return;
        }
        String spt = credential.path("payload").path("spt").asText(null);
        if (spt == null || !spt.startsWith("spt_")) {
            refuse(exchange, method, path, body, 402, "invalid-payload", "Invalid Payload",
                    "payload.spt is missing or malformed.");
            return;
        }
        if (!usedChallengeIds.add(id)) {
            refuse(exchange, method, path, body, 402, "invalid-challenge", "Invalid Challenge",
                    "Challenge has already been used.");
            return;
        }
        Canned before = beforeSettlementResponses.get(path);
        if (before != null) {
            send(exchange, before.status, before.contentType, before.body, Map.of());
            return;
        }
        Settlement settlement = settle(id, amount, currency, spt);
        if (settlement.problem != null) {
            refuse(exchange, method, path, body, settlement.status, settlement.problem, settlement.title,
                    settlement.detail);
            return;
        }
        payments.add(new SellerPayment(id, settlement.paymentIntentId, amount, currency, method, path,
                sha256Hex(body), Instant.now()));
        Duration delay = settlementDelays.get(path);
        if (delay != null) {
            try {
                Thread.sleep(delay.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        Canned after = afterSettlementResponses.get(path);
        if (after != null) {
            send(exchange, after.status, after.contentType, after.body, Map.of());
            return;
        }
        ObjectNode receipt = JSON.createObjectNode();
        receipt.put("method", "stripe");
        receipt.put("reference", settlement.paymentIntentId);
        receipt.put("status", "success");
        receipt.put("timestamp", DateTimeFormatter.ISO_INSTANT.format(Instant.now().truncatedTo(ChronoUnit.MILLIS)));
        ObjectNode resource = JSON.createObjectNode();
        resource.put("resource", path);
        resource.put("method", method);
        resource.put("paid", true);
        resource.put("amount", amount);
        resource.put("currency", currency);
        resource.put("bodySha256", sha256Hex(body));
        Map<String, List<String>> headers = new LinkedHashMap<>();
        headers.put("Payment-Receipt", List.of(base64Url(receipt.toString().getBytes(StandardCharsets.UTF_8))));
        headers.put("Cache-Control", List.of("private"));
        send(exchange, 200, "application/json", resource.toString().getBytes(StandardCharsets.UTF_8), headers);
    }

    private record Settlement(String paymentIntentId, int status, String problem, String title, String detail) {
        static Settlement failed(int status, String problem, String title, String detail) {
            return new Settlement(null, status, problem, title, detail);
        }
    }

    /** The PaymentIntent mppx 0.11.0 creates (stripe/server/Charge.js createWithClient), over real HTTP. */
    private Settlement settle(String challengeId, String amount, String currency, String spt) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("amount", amount);
        form.put("automatic_payment_methods[allow_redirects]", "never");
        form.put("automatic_payment_methods[enabled]", "true");
        form.put("confirm", "true");
        form.put("currency", currency);
        form.put("metadata[machine_payment]", "true");
        form.put("metadata[mpp_sdk]", "mpp-test-seller");
        form.put("metadata[mpp_intent]", "charge");
        form.put("metadata[mpp_challenge_id]", challengeId);
        form.put("shared_payment_granted_token", spt);
        HttpRequest request = HttpRequest.newBuilder(URI.create(stripeBaseUrl + FakeStripe.PAYMENT_INTENTS))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + stripeSecretKey)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Stripe-Version", STRIPE_API_VERSION)
                .header("Idempotency-Key", "mpp_" + challengeId + "_" + spt)
                .POST(HttpRequest.BodyPublishers.ofString(StripeForm.encode(form)))
                .build();
        HttpResponse<String> response;
        try {
            response = stripeHttp.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            return Settlement.failed(402, "verification-failed", "Verification Failed",
                    "Stripe PaymentIntent failed: " + e.getClass().getSimpleName());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Settlement.failed(500, "internal-payment-error", "Internal Payment Error", "interrupted");
        }
        JsonNode json;
        try {
            json = JSON.readTree(response.body());
        } catch (IOException e) {
            return Settlement.failed(402, "verification-failed", "Verification Failed",
                    "Stripe PaymentIntent failed: unreadable response");
        }
        if (response.statusCode() / 100 != 2) {
            return Settlement.failed(402, "verification-failed", "Verification Failed",
                    "Stripe PaymentIntent failed: " + json.path("error").path("message").asText("status "
                            + response.statusCode()));
        }
        if ("true".equals(response.headers().firstValue("Idempotent-Replayed").orElse(null))) {
            return Settlement.failed(402, "verification-failed", "Verification Failed",
                    "Payment has already been processed.");
        }
        String status = json.path("status").asText();
        if ("requires_action".equals(status)) {
            return Settlement.failed(402, "payment-action-required", "Payment Action Required",
                    "Stripe PaymentIntent requires action");
        }
        if (!"succeeded".equals(status)) {
            return Settlement.failed(500, "internal-payment-error", "Internal Payment Error",
                    "Stripe PaymentIntent status: " + status);
        }
        return new Settlement(json.path("id").asText(), 200, null, null, null);
    }

    /** A problem+json answer with fresh challenges for the route (every failure carries one). */
    private void refuse(HttpExchange exchange, String method, String path, byte[] body, int status, String code,
                        String title, String detail) throws IOException {
        List<String> challenges = freshChallenges(method, path, body);
        ObjectNode problem = JSON.createObjectNode();
        problem.put("type", PROBLEM_BASE + code);
        problem.put("title", title);
        problem.put("status", status);
        problem.put("detail", detail);
        problem.put("challengeId", firstId(challenges.get(0)));
        List<String> lines = new ArrayList<>();
        if (challengesOnSeparateLines) {
            lines.addAll(challenges);
        } else {
            lines.add(String.join(", ", challenges));
        }
        lines.addAll(extraWwwAuthenticate);
        Map<String, List<String>> headers = new LinkedHashMap<>();
        headers.put("WWW-Authenticate", lines);
        headers.put("Cache-Control", List.of("no-store"));
        send(exchange, status, "application/problem+json", problem.toString().getBytes(StandardCharsets.UTF_8),
                headers);
    }

    private void pendingAmountChange(String path) {
        String newAmount = pendingAmountChanges.remove(path);
        if (newAmount == null) {
            return;
        }
        offers.replaceAll((k, list) -> k.endsWith(" " + path)
                ? list.stream().map(o -> new Offer(newAmount, o.currency, o.description)).toList()
                : list);
    }

    private List<String> freshChallenges(String method, String path, byte[] body) {
        String routeKey = key(method, path);
        String expires = DateTimeFormatter.ISO_INSTANT.format(
                Instant.now().plus(challengeTtl).truncatedTo(ChronoUnit.MILLIS));
        String digest = BODY_METHODS.contains(method) ? contentDigest(body) : null;
        String opaqueValue = freshOpaque(routeKey);
        List<String> result = new ArrayList<>();
        for (Offer offer : offers.getOrDefault(routeKey, List.of())) {
            ObjectNode request = JSON.createObjectNode();
            request.put("amount", offer.amountMinor);
            request.put("currency", offer.currency);
            ObjectNode details = request.putObject("methodDetails");
            details.put("networkId", networkId);
            details.putArray("paymentMethodTypes").add("card");
            result.add(challenge("stripe", "charge", canonical(request.toString()), offer.description, digest,
                    expires, opaqueValue));
        }
        for (ExtraOffer extra : extraOffers.getOrDefault(routeKey, List.of())) {
            result.add(challenge(extra.method, extra.intent, canonical(extra.requestJson), null, digest, expires,
                    opaqueValue));
        }
        challengesIssued.addAndGet(result.size());
        return result;
    }

    /** Serialized like mppx's Challenge.serialize: fixed order, quoted strings, non-Latin-1 as \\uXXXX. */
    private String challenge(String paymentMethod, String intent, String request, String description, String digest,
                             String expires, String opaqueValue) {
        String id = challengeId(realm, paymentMethod, intent, request, expires, digest, credentialHeader,
                opaqueValue);
        StringBuilder sb = new StringBuilder("Payment ");
        sb.append(param("id", id)).append(", ").append(param("realm", realm)).append(", ")
                .append(param("method", paymentMethod)).append(", ").append(param("intent", intent)).append(", ")
                .append(param("request", request));
        if (description != null) {
            sb.append(", ").append(param("description", description));
        }
        if (digest != null) {
            sb.append(", ").append(param("digest", digest));
        }
        sb.append(", ").append(param("expires", expires));
        if (credentialHeader != null) {
            sb.append(", ").append(param("header", credentialHeader));
        }
        if (opaqueValue != null) {
            sb.append(", ").append(param("opaque", opaqueValue));
        }
        return sb.toString();
    }

    private static String param(String name, String value) {
        StringBuilder sb = new StringBuilder(name).append("=\"");
        for (char c : value.toCharArray()) {
            if (c == '\\' || c == '"') {
                sb.append('\\').append(c);
            } else if (c > 0xFF) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.append('"').toString();
    }

    /** HMAC-SHA256 over the seven slots of draft-httpauth-payment, plus mppx's header slot before opaque. */
    private String challengeId(String realm, String method, String intent, String request, String expires,
                               String digest, String header, String opaqueValue) {
        List<String> slots = new ArrayList<>(List.of(realm, method, intent, request, nz(expires), nz(digest)));
        if (header != null && !header.equalsIgnoreCase("Authorization")) {
            slots.add(header);
        }
        slots.add(nz(opaqueValue));
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(hmacKey, "HmacSHA256"));
            return base64Url(mac.doFinal(String.join("|", slots).getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The route's correlation data plus a random nonce. Without a nonce, two challenges issued in the same
     * millisecond for the same price have identical HMAC ids, and single use would refuse the second payer.
     */
    private String freshOpaque(String routeKey) {
        Map<String, String> values = new LinkedHashMap<>(opaque.getOrDefault(routeKey, Map.of()));
        byte[] nonce = new byte[12];
        RANDOM.nextBytes(nonce);
        values.put("nonce", base64Url(nonce));
        try {
            return canonical(JSON.writeValueAsString(values));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The echoed opaque carries this route's data and a nonce (its integrity is already bound by the HMAC id). */
    private boolean opaqueMatches(String routeKey, String echoed) {
        if (echoed == null) {
            return false;
        }
        try {
            Map<String, String> values = new LinkedHashMap<>(JSON.readValue(Base64.getUrlDecoder().decode(echoed),
                    new com.fasterxml.jackson.core.type.TypeReference<Map<String, String>>() {}));
            return values.remove("nonce") != null && values.equals(opaque.getOrDefault(routeKey, Map.of()));
        } catch (IOException | IllegalArgumentException e) {
            return false;
        }
    }

    // ---- encoding helpers ----

    /** base64url-nopad of the RFC 8785 form of {@code json}. */
    static String canonical(String json) {
        try {
            return base64Url(new JsonCanonicalizer(json).getEncodedUTF8());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** RFC 9530 Content-Digest member: {@code sha-256=:<base64>:}. */
    public static String contentDigest(byte[] body) {
        return "sha-256=:" + Base64.getEncoder().encodeToString(sha256(body)) + ":";
    }

    static String base64Url(byte[] bytes) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    static byte[] base64UrlDecode(String value) {
        return Base64.getUrlDecoder().decode(value.trim().replace("=", ""));
    }

    static String sha256Hex(byte[] body) {
        return HexFormat.of().formatHex(sha256(body));
    }

    private static byte[] sha256(byte[] body) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(body);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String firstId(String challenge) {
        int start = challenge.indexOf("id=\"") + 4;
        return challenge.substring(start, challenge.indexOf('"', start));
    }

    private static boolean allText(JsonNode node, String... fields) {
        for (String field : fields) {
            JsonNode value = node.get(field);
            if (value == null || !value.isTextual() || value.asText().isEmpty()) {
                return false;
            }
        }
        return true;
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }

    private static String nz(String value) {
        return value == null ? "" : value;
    }

    private static String key(String method, String path) {
        return method.toUpperCase() + " " + path;
    }

    private static void send(HttpExchange exchange, int status, String contentType, byte[] body,
                             Map<String, List<String>> headers) throws IOException {
        var responseHeaders = exchange.getResponseHeaders();
        responseHeaders.set("Content-Type", contentType);
        headers.forEach((name, values) -> values.forEach(v -> responseHeaders.add(name, v)));
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    @Override
    public String toString() {
        return "MppTestSeller[" + baseUrl + ", routes=" + offers.keySet().stream().sorted()
                .collect(Collectors.joining(",")) + "]";
    }
}
