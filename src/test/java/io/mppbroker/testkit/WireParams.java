package io.mppbroker.testkit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.net.URLDecoder;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;

/**
 * Request arguments as chat APIs take them: a query string plus a body that is JSON, form-urlencoded or
 * multipart/form-data. All end up in one {@link ObjectNode}: form and multipart values as strings, JSON values as
 * sent. Arguments that carry JSON (Slack's {@code blocks}, Telegram's {@code reply_markup}) are a JSON-encoded
 * string in forms and a plain JSON value in JSON bodies; {@link #json} reads both.
 */
final class WireParams {

    static final ObjectMapper JSON = new ObjectMapper();
    static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    enum Problem { MISSING_CONTENT_TYPE, UNSUPPORTED_CONTENT_TYPE, INVALID_CHARSET, MALFORMED_JSON, MALFORMED_FORM }

    static final class WireException extends RuntimeException {
        final Problem problem;

        WireException(Problem problem, String message) {
            super(message, null, false, false);
            this.problem = problem;
        }
    }

    /** {@code mediaType} is lower case without parameters, {@code charset} null when the header named none. */
    record Parsed(ObjectNode params, String mediaType, String charset) {
    }

    private WireParams() {
    }

    static Parsed parse(String contentType, byte[] body, String rawQuery) {
        ObjectNode params = NODES.objectNode();
        addForm(params, rawQuery, StandardCharsets.UTF_8);
        if (body.length == 0 && contentType == null) {
            return new Parsed(params, null, null);
        }
        if (contentType == null || contentType.isBlank()) {
            throw new WireException(Problem.MISSING_CONTENT_TYPE, "body without Content-Type");
        }
        String[] parts = contentType.split(";");
        String mediaType = parts[0].trim().toLowerCase(Locale.ROOT);
        String charsetName = null;
        String boundary = null;
        for (int i = 1; i < parts.length; i++) {
            String p = parts[i].trim();
            int eq = p.indexOf('=');
            if (eq < 0) {
                continue;
            }
            String key = p.substring(0, eq).trim().toLowerCase(Locale.ROOT);
            String value = unquote(p.substring(eq + 1).trim());
            if (key.equals("charset")) {
                charsetName = value;
            } else if (key.equals("boundary")) {
                boundary = value;
            }
        }
        Charset charset = StandardCharsets.UTF_8;
        if (charsetName != null) {
            String c = charsetName.toLowerCase(Locale.ROOT);
            if (c.equals("iso-8859-1") || c.equals("latin1")) {
                charset = StandardCharsets.ISO_8859_1;
            } else if (!c.equals("utf-8") && !c.equals("utf8")) {
                throw new WireException(Problem.INVALID_CHARSET, "charset " + charsetName);
            }
        }
        switch (mediaType) {
            case "application/json" -> {
                if (body.length > 0) {
                    JsonNode node;
                    try {
                        node = JSON.readTree(new String(body, charset));
                    } catch (JsonProcessingException e) {
                        throw new WireException(Problem.MALFORMED_JSON, "body is not JSON");
                    }
                    if (node == null || !node.isObject()) {
                        throw new WireException(Problem.MALFORMED_JSON, "body is not a JSON object");
                    }
                    params.setAll((ObjectNode) node);
                }
            }
            case "application/x-www-form-urlencoded" -> addForm(params, new String(body, StandardCharsets.ISO_8859_1),
                    charset);
            case "multipart/form-data" -> addMultipart(params, body, boundary, charset);
            default -> throw new WireException(Problem.UNSUPPORTED_CONTENT_TYPE, "Content-Type " + mediaType);
        }
        return new Parsed(params, mediaType, charsetName);
    }

    private static String unquote(String s) {
        return s.length() >= 2 && s.startsWith("\"") && s.endsWith("\"") ? s.substring(1, s.length() - 1) : s;
    }

    /** Decodes {@code a=1&b=2}; the encoded text is ASCII, so reading it as Latin-1 first loses nothing. */
    private static void addForm(ObjectNode params, String encoded, Charset charset) {
        if (encoded == null || encoded.isEmpty()) {
            return;
        }
        for (String pair : encoded.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            try {
                String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), charset);
                String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), charset);
                params.put(key, value);
            } catch (IllegalArgumentException e) {
                throw new WireException(Problem.MALFORMED_FORM, "bad percent-encoding");
            }
        }
    }

    private static void addMultipart(ObjectNode params, byte[] body, String boundary, Charset charset) {
        if (boundary == null || boundary.isEmpty()) {
            throw new WireException(Problem.MALFORMED_FORM, "multipart without boundary");
        }
        byte[] delimiter = ("--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
        int pos = indexOf(body, delimiter, 0);
        if (pos < 0) {
            throw new WireException(Problem.MALFORMED_FORM, "multipart without parts");
        }
        while (true) {
            int afterDelimiter = pos + delimiter.length;
            if (afterDelimiter + 1 < body.length && body[afterDelimiter] == '-' && body[afterDelimiter + 1] == '-') {
                return; // closing delimiter
            }
            int headersStart = afterDelimiter + 2; // CRLF after the delimiter
            int headersEnd = indexOf(body, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), headersStart);
            int next = indexOf(body, delimiter, headersStart);
            if (headersEnd < 0 || next < 0 || headersEnd > next) {
                throw new WireException(Problem.MALFORMED_FORM, "truncated multipart part");
            }
            String headers = new String(body, headersStart, headersEnd - headersStart, StandardCharsets.UTF_8);
            int contentEnd = next - 2; // CRLF before the next delimiter
            byte[] content = Arrays.copyOfRange(body, headersEnd + 4, Math.max(headersEnd + 4, contentEnd));
            String name = null;
            String filename = null;
            for (String line : headers.split("\r\n")) {
                if (line.toLowerCase(Locale.ROOT).startsWith("content-disposition:")) {
                    name = dispositionParam(line, "name");
                    filename = dispositionParam(line, "filename");
                }
            }
            if (name != null) {
                params.put(name, filename != null
                        ? "<file " + filename + ", " + content.length + " bytes>"
                        : new String(content, charset));
            }
            pos = next;
        }
    }

    private static String dispositionParam(String line, String param) {
        for (String p : line.split(";")) {
            String t = p.trim();
            if (t.startsWith(param + "=")) {
                return unquote(t.substring(param.length() + 1));
            }
        }
        return null;
    }

    private static int indexOf(byte[] haystack, byte[] needle, int from) {
        outer:
        for (int i = Math.max(0, from); i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** A scalar argument as text (strings, numbers and booleans alike); null when absent or JSON null. */
    static String text(JsonNode params, String name) {
        JsonNode v = params.get(name);
        if (v == null || v.isNull()) {
            return null;
        }
        return v.isValueNode() ? v.asText() : v.toString();
    }

    /** A JSON argument: a JSON-encoded string is parsed, any other value taken as is; null when absent. */
    static JsonNode json(JsonNode params, String name) throws JsonProcessingException {
        JsonNode v = params.get(name);
        if (v == null || v.isNull()) {
            return null;
        }
        if (v.isTextual()) {
            return JSON.readTree(v.asText());
        }
        return v;
    }

    static boolean bool(JsonNode params, String name) {
        String v = text(params, name);
        return v != null && (v.equalsIgnoreCase("true") || v.equals("1"));
    }
}
