package io.mppbroker.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The buyer's side done by hand for the kit's own tests: parse challenges from {@code WWW-Authenticate}, mint an
 * SPT at the fake Stripe, build the credential. Deliberately independent of the seller code it checks.
 */
final class HandPayer {

    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final String BUYER_KEY = "sk_test_buyer_handpayer";

    private HandPayer() {
    }

    /** All Payment challenges of a response, in order; lines may hold several challenges. */
    static List<Map<String, String>> challenges(HttpResponse<?> response) {
        List<Map<String, String>> result = new ArrayList<>();
        for (String line : response.headers().allValues("WWW-Authenticate")) {
            result.addAll(parseLine(line));
        }
        return result;
    }

    /**
     * Splits at scheme boundaries (a token followed by a space, outside quotes, after a comma or at the start)
     * and keeps only {@code Payment} challenges. Params are lower-cased; quoted strings unescaped.
     */
    static List<Map<String, String>> parseLine(String line) {
        List<Map<String, String>> result = new ArrayList<>();
        Map<String, String> current = null;
        int i = 0;
        int n = line.length();
        while (i < n) {
            while (i < n && (line.charAt(i) == ' ' || line.charAt(i) == ',')) {
                i++;
            }
            int start = i;
            while (i < n && isTokenChar(line.charAt(i))) {
                i++;
            }
            String token = line.substring(start, i);
            if (token.isEmpty()) {
                throw new IllegalArgumentException("cannot parse challenge at " + i + ": " + line);
            }
            if (i < n && line.charAt(i) == '=') {
                i++;
                String value;
                if (i < n && line.charAt(i) == '"') {
                    StringBuilder sb = new StringBuilder();
                    i++;
                    while (line.charAt(i) != '"') {
                        char c = line.charAt(i);
                        if (c == '\\') {
                            char next = line.charAt(i + 1);
                            if (next == 'u' && i + 5 < n && line.substring(i + 2, i + 6).matches("[0-9a-fA-F]{4}")) {
                                sb.append((char) Integer.parseInt(line.substring(i + 2, i + 6), 16));
                                i += 6;
                                continue;
                            }
                            sb.append(next);
                            i += 2;
                            continue;
                        }
                        sb.append(c);
                        i++;
                    }
                    i++;
                    value = sb.toString();
                } else {
                    int vs = i;
                    while (i < n && line.charAt(i) != ',') {
                        i++;
                    }
                    value = line.substring(vs, i).trim();
                }
                if (current != null) {
                    if (current.put(token.toLowerCase(), value) != null) {
                        throw new IllegalArgumentException("duplicate param " + token);
                    }
                }
            } else {
                // A new auth scheme starts here.
                current = token.equalsIgnoreCase("Payment") ? new LinkedHashMap<>() : null;
                if (current != null) {
                    result.add(current);
                }
            }
        }
        return result;
    }

    private static boolean isTokenChar(char c) {
        return Character.isLetterOrDigit(c) || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
    }

    static JsonNode request(Map<String, String> challenge) {
        return decodeJson(challenge.get("request"));
    }

    static JsonNode decodeJson(String base64Url) {
        try {
            return JSON.readTree(Base64.getUrlDecoder().decode(base64Url));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The credential header value: {@code Payment <base64url(JSON)>}, echoing every received param. */
    static String credential(Map<String, String> challenge, String spt) {
        ObjectNode credential = JSON.createObjectNode();
        ObjectNode echoed = credential.putObject("challenge");
        challenge.forEach(echoed::put);
        credential.putObject("payload").put("spt", spt);
        return "Payment " + Base64.getUrlEncoder().withoutPadding()
                .encodeToString(credential.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** Mints an issued SPT capped at the challenge's amount, as a buyer would (form-encoded, over HTTP). */
    static String mintFor(String stripeBaseUrl, Map<String, String> challenge) {
        JsonNode request = request(challenge);
        long expiresAt = Instant.parse(challenge.get("expires")).getEpochSecond() + 1;
        return mint(stripeBaseUrl, request.path("amount").asText(), request.path("currency").asText(),
                request.path("methodDetails").path("networkId").asText(), expiresAt);
    }

    static String mint(String stripeBaseUrl, String amount, String currency, String profile, long expiresAt) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("payment_method", "pm_card_visa");
        form.put("usage_limits[currency]", currency);
        form.put("usage_limits[max_amount]", amount);
        form.put("usage_limits[expires_at]", Long.toString(expiresAt));
        form.put("seller_details[network_business_profile]", profile);
        HttpResponse<String> response = send(HttpRequest.newBuilder(
                        URI.create(stripeBaseUrl + "/v1/shared_payment/issued_tokens"))
                .header("Authorization", "Bearer " + BUYER_KEY)
                .header("Stripe-Version", FakeStripe.DEFAULT_API_VERSION)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(StripeForm.encode(form))).build());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("mint failed: " + response.statusCode() + " " + response.body());
        }
        try {
            return JSON.readTree(response.body()).get("id").asText();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static HttpResponse<String> send(HttpRequest request) {
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static HttpResponse<String> get(String url, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).GET();
        if (headers.length > 0) {
            b.headers(headers);
        }
        return send(b.build());
    }

    static HttpResponse<String> post(String url, String body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return send(b.build());
    }

    static JsonNode json(HttpResponse<String> response) {
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The spec's HMAC binding computed independently: 7 slots, or 8 with mppx's {@code header} before opaque. */
    static String expectedId(String secret, Map<String, String> c) {
        List<String> slots = new ArrayList<>(List.of(c.get("realm"), c.get("method"), c.get("intent"),
                c.get("request"), c.getOrDefault("expires", ""), c.getOrDefault("digest", "")));
        if (c.containsKey("header")) {
            slots.add(c.get("header"));
        }
        slots.add(c.getOrDefault("opaque", ""));
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return Base64.getUrlEncoder().withoutPadding()
                    .encodeToString(mac.doFinal(String.join("|", slots).getBytes(StandardCharsets.UTF_8)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
