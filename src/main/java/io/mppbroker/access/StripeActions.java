package io.mppbroker.access;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Maps a Stripe API call to the action grants name: {@code stripe:<resource type>:read} for GET/HEAD,
 * {@code stripe:<resource type>:write} for POST and DELETE, where the resource type is the first path segment
 * after {@code /v1/} ({@code GET /v1/charges/ch_1} → {@code stripe:charges:read},
 * {@code POST /v1/payment_intents/pi_1/confirm} → {@code stripe:payment_intents:write}). The resource is
 * {@code stripe.com/v1/...} without the query. Table: docs/stripe-gateway.md.
 */
public final class StripeActions {

    private static final Pattern TYPE = Pattern.compile("[a-z][a-z_]{0,63}");
    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9_.-]{1,255}");

    private StripeActions() {}

    /** {@code path} is the raw path after {@code /v1/}; empty when it is not a plain Stripe API path. */
    public static Optional<AccessRequest> of(String method, String path) {
        String[] segments = path.split("/", -1);
        if (!TYPE.matcher(segments[0]).matches()) return Optional.empty();
        for (String s : segments) {
            // No dot segments and no escapes: the action must name exactly the resource Stripe will act on.
            if (!SEGMENT.matcher(s).matches() || s.equals(".") || s.equals("..")) return Optional.empty();
        }
        String verb = switch (method.toUpperCase(Locale.ROOT)) {
            case "GET", "HEAD" -> "read";
            case "POST", "DELETE" -> "write";
            default -> null;
        };
        if (verb == null) return Optional.empty();
        return Optional.of(new AccessRequest("stripe:" + segments[0] + ":" + verb, "stripe.com/v1/" + path, null));
    }
}
