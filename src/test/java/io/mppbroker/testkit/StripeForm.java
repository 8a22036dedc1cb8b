package io.mppbroker.testkit;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Stripe's v1 wire format: {@code application/x-www-form-urlencoded} with bracket notation for nested keys
 * ({@code usage_limits[currency]=usd}, {@code metadata[k]=v}, {@code expand[]=x}). Params stay flat, keyed by
 * their full bracketed name, which is also how Stripe names them in {@code param} of its errors.
 */
final class StripeForm {

    private StripeForm() {
    }

    static Map<String, String> parse(String encoded) {
        Map<String, String> params = new LinkedHashMap<>();
        addTo(params, encoded);
        return params;
    }

    static void addTo(Map<String, String> params, String encoded) {
        if (encoded == null || encoded.isEmpty()) {
            return;
        }
        int arrayIndex = 0;
        for (String pair : encoded.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            if (key.endsWith("[]")) {
                // Array entries: give each its index so they survive as distinct flat keys.
                key = key.substring(0, key.length() - 2) + "[" + (arrayIndex++) + "]";
            }
            params.put(key, value);
        }
    }

    static String encode(Map<String, String> params) {
        return params.entrySet().stream()
                .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                        + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
    }

    /** Entries under {@code prefix[...]}, keyed by the inner name: {@code sub(p, "metadata")}. */
    static Map<String, String> sub(Map<String, String> params, String prefix) {
        String open = prefix + "[";
        Map<String, String> result = new LinkedHashMap<>();
        params.forEach((k, v) -> {
            if (k.startsWith(open) && k.endsWith("]")) {
                result.put(k.substring(open.length(), k.length() - 1), v);
            }
        });
        return result;
    }

    /** Order-independent fingerprint, used to compare an idempotent retry with the first request. */
    static String fingerprint(String method, String path, Map<String, String> params) {
        return method + " " + path + " " + new TreeMap<>(params);
    }
}
