package io.mppbroker.mpp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A {@code Payment-Receipt} header (draft-httpauth-payment-00 §5.3, draft-stripe-charge-00 §Receipt Generation).
 *
 * @param status    always "success" (anything else is refused)
 * @param method    payment method, e.g. "stripe"; empty string if the seller left it out
 * @param timestamp RFC 3339 settlement time as sent; empty string if the seller left it out
 * @param reference method-specific reference; for stripe the seller's PaymentIntent id ({@code pi_...})
 * @param extra     every other member (e.g. {@code externalId}), as plain Java values
 */
public record Receipt(String status, String method, String timestamp, String reference, Map<String, Object> extra) {

    public static final String SUCCESS = "success";
    public static final int MAX_HEADER_CHARS = 16 * 1024;
    private static final Set<String> KNOWN = Set.of("status", "method", "timestamp", "reference");

    public Receipt {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(timestamp, "timestamp");
        Objects.requireNonNull(reference, "reference");
        extra = Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(extra, "extra")));
    }

    /** Parses the header value: base64url (lenient) JSON object; unknown members are kept in {@code extra}. */
    public static Receipt parse(String paymentReceiptHeader) {
        if (paymentReceiptHeader == null || paymentReceiptHeader.isBlank()) {
            throw new MppProtocolException("Payment-Receipt is empty");
        }
        String value = paymentReceiptHeader.strip();
        if (value.length() > MAX_HEADER_CHARS) {
            throw new MppProtocolException("Payment-Receipt is longer than " + MAX_HEADER_CHARS + " characters");
        }
        ObjectNode root = Json.readObject(Base64Url.decode(value, "Payment-Receipt"), "Payment-Receipt", false);
        String status = string(root, "status");
        if (status == null) {
            throw new MppProtocolException("Payment-Receipt field 'status' is missing");
        }
        if (!SUCCESS.equals(status)) {
            throw new MppProtocolException("Payment-Receipt field 'status' must be \"success\", got '" + Json.truncate(status) + "'");
        }
        String reference = string(root, "reference");
        if (reference == null || reference.isBlank()) {
            throw new MppProtocolException("Payment-Receipt field 'reference' is missing");
        }
        String method = string(root, "method");
        String timestamp = string(root, "timestamp");
        Map<String, Object> extra = new LinkedHashMap<>();
        Json.toMap(root).forEach((k, v) -> {
            if (!KNOWN.contains(k)) {
                extra.put(k, v);
            }
        });
        return new Receipt(status, method == null ? "" : method, timestamp == null ? "" : timestamp, reference, extra);
    }

    /** The {@code externalId} echoed from the credential payload, if any. */
    public Optional<String> externalId() {
        return extra.get("externalId") instanceof String s ? Optional.of(s) : Optional.empty();
    }

    /** {@code timestamp} as an instant; empty when absent or not RFC 3339 (the receipt stays valid). */
    public Optional<Instant> settledAt() {
        if (timestamp.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Rfc3339.parse(timestamp, "Payment-Receipt field 'timestamp'"));
        } catch (MppProtocolException e) {
            return Optional.empty();
        }
    }

    private static String string(ObjectNode root, String field) {
        JsonNode node = root.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isTextual()) {
            throw new MppProtocolException("Payment-Receipt field '" + field + "' must be a string, got " + Json.kind(node));
        }
        return node.textValue();
    }
}
