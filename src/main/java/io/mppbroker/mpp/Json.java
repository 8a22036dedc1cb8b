package io.mppbroker.mpp;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** JSON reading shared by the MPP types: strict about duplicates and trailing data, exact for numbers. */
final class Json {

    /**
     * Duplicate keys are refused: a request carrying two "amount" members means different things to different
     * parsers, and the seller's parser decides what is charged.
     */
    static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            // Keep decimals as sent: 1.50 stays 1.50.
            .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
            .build();

    private static final int MAX_DETAIL_CHARS = 160;

    private Json() {
    }

    /**
     * Parses {@code utf8Json} as a JSON object. When {@code secret} is set the parser's own message is left
     * out, because it may quote the input (an SPT).
     */
    static ObjectNode readObject(byte[] utf8Json, String what, boolean secret) {
        String text = Base64Url.utf8(utf8Json, what);
        JsonNode node;
        try {
            node = MAPPER.readTree(text);
        } catch (JacksonException e) {
            String detail = secret ? "" : ": " + truncate(String.valueOf(e.getOriginalMessage()));
            throw new MppProtocolException(what + " is not valid JSON" + detail);
        }
        if (node == null || node.isMissingNode()) {
            throw new MppProtocolException(what + " is empty JSON");
        }
        if (!node.isObject()) {
            throw new MppProtocolException(what + " must be a JSON object, got " + kind(node));
        }
        return (ObjectNode) node;
    }

    /** Plain Java view of an object's members (String, Boolean, BigDecimal/Integer/Long/BigInteger, List, Map, null). */
    static Map<String, Object> toMap(ObjectNode node) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            map.put(e.getKey(), MAPPER.convertValue(e.getValue(), Object.class));
        }
        return Collections.unmodifiableMap(map);
    }

    static String kind(JsonNode node) {
        if (node == null || node.isNull()) {
            return "null";
        }
        if (node.isTextual()) {
            return "a string";
        }
        if (node.isNumber()) {
            return "a number";
        }
        if (node.isBoolean()) {
            return "a boolean";
        }
        if (node.isArray()) {
            return "an array";
        }
        if (node.isObject()) {
            return "an object";
        }
        return node.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    }

    static String truncate(String text) {
        return text.length() <= MAX_DETAIL_CHARS ? text : text.substring(0, MAX_DETAIL_CHARS) + "...";
    }
}
