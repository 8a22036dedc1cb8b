package io.mppbroker.mpp;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Builds and reads {@code Payment} credentials (draft-httpauth-payment-00 §5.2, draft-stripe-charge-00
 * §Credential Schema): {@code "Payment " + base64url_nopad(JSON)} with JSON
 * {@code {"challenge":{...every received param...},"payload":{"spt":"spt_..."},"source":"..."}}.
 */
public final class Credential {

    /** Longest credential header value {@link #decode(String)} reads. */
    public static final int MAX_HEADER_CHARS = 64 * 1024;
    private static final int MAX_SPT_CHARS = 255;

    private Credential() {
    }

    public static String headerValue(Challenge challenge, String spt, Optional<String> source) {
        return headerValue(challenge, spt, source, Optional.empty());
    }

    /**
     * The credential for {@code challenge}: every parameter is echoed exactly as received (the seller
     * recomputes the challenge id over them), the SPT goes in the payload.
     *
     * @param externalId the payer's own reference, optional in the stripe payload
     */
    public static String headerValue(Challenge challenge, String spt, Optional<String> source, Optional<String> externalId) {
        Objects.requireNonNull(challenge, "challenge");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(externalId, "externalId");
        checkSpt(spt);
        ObjectNode root = Json.MAPPER.createObjectNode();
        ObjectNode echoed = root.putObject("challenge");
        challenge.params().forEach(echoed::put);
        ObjectNode payload = root.putObject("payload");
        payload.put("spt", spt);
        externalId.ifPresent(id -> payload.put("externalId", requireText(id, "externalId")));
        source.ifPresent(s -> root.put("source", requireText(s, "source")));
        try {
            return MppHeaders.PAYMENT_SCHEME + " " + Base64Url.encode(Json.MAPPER.writeValueAsBytes(root));
        } catch (JsonProcessingException e) {
            // Only reachable with values that are not valid Unicode; the message would quote the SPT.
            throw new MppProtocolException("credential could not be serialized");
        }
    }

    /**
     * Reads a credential header value ({@code Payment <base64url>}), as a seller would. Error messages never
     * quote the credential.
     */
    public static DecodedCredential decode(String headerValue) {
        if (headerValue == null) {
            throw new MppProtocolException("credential is missing");
        }
        String value = headerValue.strip();
        if (value.length() > MAX_HEADER_CHARS) {
            throw new MppProtocolException("credential is longer than " + MAX_HEADER_CHARS + " characters");
        }
        String scheme = MppHeaders.PAYMENT_SCHEME;
        if (!value.regionMatches(true, 0, scheme, 0, scheme.length())
                || value.length() == scheme.length() || value.charAt(scheme.length()) != ' ') {
            throw new MppProtocolException("credential does not use the Payment scheme");
        }
        String encoded = value.substring(scheme.length()).strip();
        ObjectNode root = Json.readObject(Base64Url.decode(encoded, "credential"), "credential", true);

        JsonNode challengeNode = root.get("challenge");
        if (challengeNode == null || !challengeNode.isObject()) {
            throw new MppProtocolException("credential field 'challenge' must be an object");
        }
        Map<String, String> challenge = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : challengeNode.properties()) {
            if (!e.getValue().isTextual()) {
                throw new MppProtocolException("credential field 'challenge." + e.getKey() + "' must be a string");
            }
            challenge.put(e.getKey(), e.getValue().textValue());
        }
        JsonNode payloadNode = root.get("payload");
        if (payloadNode == null || !payloadNode.isObject()) {
            throw new MppProtocolException("credential field 'payload' must be an object");
        }
        JsonNode sourceNode = root.get("source");
        Optional<String> source = Optional.empty();
        if (sourceNode != null && !sourceNode.isNull()) {
            if (!sourceNode.isTextual()) {
                throw new MppProtocolException("credential field 'source' must be a string");
            }
            source = Optional.of(sourceNode.textValue());
        }
        return new DecodedCredential(challenge, Json.toMap((ObjectNode) payloadNode), source);
    }

    /**
     * Refuses anything that is not shaped like an SPT, so a mix-up upstream (a secret key, a payment method id)
     * is never sent to a seller. The message does not quote the value.
     */
    private static void checkSpt(String spt) {
        if (spt == null || spt.length() <= 4 || spt.length() > MAX_SPT_CHARS || !spt.startsWith("spt_")) {
            throw new MppProtocolException("SPT has an unexpected format (expected 'spt_' followed by letters, digits or '_')");
        }
        for (int i = 4; i < spt.length(); i++) {
            char c = spt.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_')) {
                throw new MppProtocolException("SPT has an unexpected format (expected 'spt_' followed by letters, digits or '_')");
            }
        }
    }

    private static String requireText(String value, String what) {
        if (value.isBlank()) {
            throw new MppProtocolException(what + " is blank");
        }
        for (int i = 0; i < value.length(); i++) {
            if (HeaderSyntax.isCtl(value.charAt(i))) {
                throw new MppProtocolException(what + " contains a control character");
            }
        }
        return value;
    }
}
