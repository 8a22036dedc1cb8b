package io.mppbroker.audit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.erdtman.jcs.JsonCanonicalizer;

/**
 * The hash chain over audit lines. Every line carries {@code seq} (its position, 1, 2, 3, ... with no gaps),
 * {@code prev_hash} (the previous line's {@code hash}; {@link #GENESIS} for the first line) and {@code hash}:
 * lowercase hex SHA-256 of the RFC 8785 (JCS) canonical UTF-8 form of the line without its {@code hash} member.
 * The hash covers the content, not the bytes: re-indenting a line or reordering its keys does not change it.
 */
public final class AuditLines {

    public static final String SEQ = "seq";
    public static final String PREV_HASH = "prev_hash";
    public static final String HASH = "hash";
    /** {@code prev_hash} of the first line of a chain. */
    public static final String GENESIS = "0".repeat(64);

    /** Key order of a line in the JSONL file: readable order for people; the hash does not depend on it. */
    private static final List<String> FILE_ORDER = List.of(
            SEQ, "ts", "event", "agent", "project", "task", "action", "resource", "decision", "reason", "amount",
            "currency", "payment_id", "decision_id", "approved_by", "receipt_reference", "http_status",
            "policy_version", "grant_id", "expires", "access_request_id", "covers_seq", "covers_hash", "key_id", "signature");

    /** Strict on reading: trailing garbage or a repeated key makes a line unreadable instead of silently ignored. */
    static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private AuditLines() {}

    /** Adds {@code seq}, {@code prev_hash} and {@code hash} to {@code content}, in the file's key order. */
    public static Map<String, Object> seal(Map<String, Object> content, long seq, String prevHash) {
        Map<String, Object> line = new LinkedHashMap<>(content);
        line.remove(HASH);
        line.put(SEQ, seq);
        line.put(PREV_HASH, prevHash);
        line.put(HASH, hash(line));
        return inFileOrder(line);
    }

    /** The chain hash of a line: SHA-256 over the JCS form of the line minus {@code hash}. */
    public static String hash(Map<String, Object> line) {
        Map<String, Object> content = new LinkedHashMap<>(line);
        content.remove(HASH);
        return sha256Hex(canonical(content));
    }

    /** Same as {@link #hash(Map)} for a parsed line; {@code line} is not changed. */
    public static String hash(ObjectNode line) {
        ObjectNode content = line.deepCopy();
        content.remove(HASH);
        return sha256Hex(canonical(content));
    }

    /** RFC 8785 canonical UTF-8 bytes of a JSON value (a Map, an ObjectNode, ...). */
    public static byte[] canonical(Object json) {
        try {
            return new JsonCanonicalizer(JSON.writeValueAsString(json)).getEncodedUTF8();
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not serializable as JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The JSONL text of a line (no trailing newline), keys in file order. */
    public static String toJson(Map<String, Object> line) {
        try {
            return JSON.writeValueAsString(inFileOrder(line));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not serializable as JSON: " + e.getOriginalMessage(), e);
        }
    }

    /**
     * Documented keys first, in {@link #FILE_ORDER}; unknown keys after them in their own order; the chain
     * fields last. The database stores lines as jsonb, which keeps its own key order, so the exporter
     * re-establishes this order when it writes the file.
     */
    public static Map<String, Object> inFileOrder(Map<String, Object> line) {
        Map<String, Object> ordered = new LinkedHashMap<>();
        for (String key : FILE_ORDER) {
            if (line.containsKey(key)) ordered.put(key, line.get(key));
        }
        List<String> rest = new ArrayList<>(line.keySet());
        rest.removeAll(FILE_ORDER);
        rest.remove(PREV_HASH);
        rest.remove(HASH);
        for (String key : rest) ordered.put(key, line.get(key));
        if (line.containsKey(PREV_HASH)) ordered.put(PREV_HASH, line.get(PREV_HASH));
        if (line.containsKey(HASH)) ordered.put(HASH, line.get(HASH));
        return ordered;
    }

    static String sha256Hex(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM ships SHA-256", e);
        }
    }
}
