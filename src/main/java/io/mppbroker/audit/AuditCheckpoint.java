package io.mppbroker.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.security.PublicKey;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A signed checkpoint: a line in the chain like any other, whose Ed25519 signature vouches for every line
 * before it (through {@code prev_hash}, the hash of the previous line, which itself covers its predecessor).
 * <pre>{"seq":41,"ts":"…","event":"checkpoint","action":"audit:checkpoint","covers_seq":40,"covers_hash":"<hash of seq 40>",
 *  "key_id":"<16 hex>","signature":"<base64 Ed25519>","prev_hash":"<hash of seq 40>","hash":"…"}</pre>
 * The signature is over the JCS canonical form of the line without {@code signature} and {@code hash}; the
 * line's {@code hash} then covers the signature too, so the chain continues through the checkpoint.
 */
public final class AuditCheckpoint {

    public static final String EVENT = "checkpoint";
    public static final String ACTION = "audit:checkpoint";
    public static final String SIGNATURE = "signature";
    public static final String KEY_ID = "key_id";
    public static final String COVERS_SEQ = "covers_seq";
    public static final String COVERS_HASH = "covers_hash";

    private AuditCheckpoint() {}

    /** The sealed checkpoint line at {@code seq}, covering the line {@code seq - 1} whose hash is {@code prevHash}. */
    public static Map<String, Object> sealed(long seq, String prevHash, Instant ts, AuditKeys.SigningKey key) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put(AuditLines.SEQ, seq);
        line.put("ts", ts.toString());
        line.put("event", EVENT);
        line.put("action", ACTION);
        line.put(COVERS_SEQ, seq - 1);
        line.put(COVERS_HASH, prevHash);
        line.put(KEY_ID, key.keyId());
        line.put(AuditLines.PREV_HASH, prevHash);
        byte[] signature = AuditKeys.sign(key.privateKey(), AuditLines.canonical(line));
        line.put(SIGNATURE, Base64.getEncoder().encodeToString(signature));
        return AuditLines.seal(line, seq, prevHash);
    }

    public static boolean isCheckpoint(JsonNode line) {
        return EVENT.equals(line.path("event").asText(null));
    }

    /** What is wrong with a checkpoint whose place in the chain has already been checked, if anything. */
    public static Optional<Failure> check(ObjectNode line, Map<String, PublicKey> trustedKeys) {
        long seq = line.path(AuditLines.SEQ).asLong();
        String prevHash = line.path(AuditLines.PREV_HASH).asText();
        if (!line.path(COVERS_SEQ).canConvertToLong() || line.path(COVERS_SEQ).asLong() != seq - 1
                || !prevHash.equals(line.path(COVERS_HASH).asText(null))) {
            return Optional.of(new Failure("bad_checkpoint",
                    "checkpoint must cover seq " + (seq - 1) + " with hash " + prevHash + " (its prev_hash)"));
        }
        String keyId = line.path(KEY_ID).asText(null);
        PublicKey key = keyId == null ? null : trustedKeys.get(keyId);
        if (key == null) {
            return Optional.of(new Failure("bad_signature", "checkpoint is signed by key id " + keyId
                    + ", which is not a trusted verify key (trusted: " + String.join(", ", trustedKeys.keySet()) + ")"));
        }
        byte[] signature;
        try {
            signature = Base64.getDecoder().decode(line.path(SIGNATURE).asText(""));
        } catch (IllegalArgumentException e) {
            return Optional.of(new Failure("bad_signature", "checkpoint signature is not base64"));
        }
        ObjectNode signed = line.deepCopy();
        signed.remove(SIGNATURE);
        signed.remove(AuditLines.HASH);
        if (!AuditKeys.verify(key, AuditLines.canonical(signed), signature)) {
            return Optional.of(new Failure("bad_signature", "checkpoint signature does not verify with key " + keyId));
        }
        return Optional.empty();
    }

    public record Failure(String kind, String detail) {}
}
