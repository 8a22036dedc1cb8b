package io.mppbroker.mpp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * An RFC 9457 problem body from a seller (draft-httpauth-payment-00 §8).
 *
 * @param type   the problem type URI, "about:blank" when absent
 * @param title  empty string when absent
 * @param status the HTTP status of the response (authoritative over the body's member, RFC 9457 §3.1.4)
 * @param detail empty string when absent
 * @param code   for {@code https://paymentauth.org/problems/<code>} types, the code (e.g.
 *               "verification-failed", "payment-expired", "invalid-challenge")
 */
public record SellerProblem(String type, String title, int status, String detail, Optional<String> code) {

    public static final String PROBLEM_TYPE_BASE = "https://paymentauth.org/problems/";
    public static final String ABOUT_BLANK = "about:blank";
    /** Bodies larger than this are not read. */
    public static final int MAX_BODY_BYTES = 64 * 1024;

    public SellerProblem {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(title, "title");
        Objects.requireNonNull(detail, "detail");
        Objects.requireNonNull(code, "code");
    }

    /**
     * Reads a problem body. Empty when the body is absent, too large, not JSON, not an object, not declared as
     * JSON ({@code application/problem+json}, {@code application/json}, {@code *+json}; a missing content type
     * is tried), or has none of type, title and detail.
     */
    public static Optional<SellerProblem> parse(int httpStatus, String contentType, byte[] body) {
        if (body == null || body.length == 0 || body.length > MAX_BODY_BYTES || !jsonContentType(contentType)) {
            return Optional.empty();
        }
        ObjectNode root;
        try {
            root = Json.readObject(body, "problem", false);
        } catch (MppProtocolException notJson) {
            return Optional.empty();
        }
        // RFC 9457 §3.1: members of the wrong type are ignored.
        Optional<String> type = text(root, "type");
        Optional<String> title = text(root, "title");
        Optional<String> detail = text(root, "detail");
        if (type.isEmpty() && title.isEmpty() && detail.isEmpty()) {
            return Optional.empty();
        }
        String typeUri = type.orElse(ABOUT_BLANK);
        return Optional.of(new SellerProblem(typeUri, title.orElse(""), httpStatus, detail.orElse(""), codeOf(typeUri)));
    }

    /** The last path segment of a paymentauth.org problem type, lowercase letters, digits and '-'. */
    static Optional<String> codeOf(String type) {
        if (!type.startsWith(PROBLEM_TYPE_BASE)) {
            return Optional.empty();
        }
        String rest = type.substring(PROBLEM_TYPE_BASE.length());
        int cut = indexOfAny(rest, '?', '#');
        if (cut >= 0) {
            rest = rest.substring(0, cut);
        }
        while (rest.endsWith("/")) {
            rest = rest.substring(0, rest.length() - 1);
        }
        String segment = rest.substring(rest.lastIndexOf('/') + 1);
        if (segment.isEmpty() || segment.length() > 64) {
            return Optional.empty();
        }
        for (int i = 0; i < segment.length(); i++) {
            char c = segment.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-')) {
                return Optional.empty();
            }
        }
        return Optional.of(segment);
    }

    private static boolean jsonContentType(String contentType) {
        if (contentType == null || contentType.isBlank()) {
            return true;
        }
        String mediaType = contentType.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
        return mediaType.equals("application/json") || mediaType.equals("application/problem+json")
                || mediaType.endsWith("+json");
    }

    private static Optional<String> text(ObjectNode root, String field) {
        JsonNode node = root.get(field);
        return node != null && node.isTextual() ? Optional.of(node.textValue()) : Optional.empty();
    }

    private static int indexOfAny(String s, char a, char b) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) == a || s.charAt(i) == b) {
                return i;
            }
        }
        return -1;
    }
}
