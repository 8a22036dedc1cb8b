package io.mppbroker.mpp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CredentialTest {

    static final String SPT = "spt_1N4Zv32eZvKYlo2CPhVPkJlW";
    static final String REQUEST = ChallengeParserTest.USD_REQUEST;

    /** A challenge with every optional parameter, an unknown one, and values that need escaping. */
    static final String RICH_HEADER = "Payment id=\"-hmacXYZ_09\", realm=\"api.seller.test\", method=\"stripe\", intent=\"charge\", "
            + "request=\"" + REQUEST + "\", description=\"Caf\\u00e9 \\\"best\\\", \\\\ 中文 na\u00efve\", "
            + "digest=\"sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:\", expires=\"2030-01-15T12:05:00.000Z\", "
            + "opaque=\"eyJwaSI6InBpXzEyMyJ9\", header=\"Payment-Authorization\", x-future=\"kept as is\"";

    static Challenge rich() {
        ParsedChallenges parsed = ChallengeParser.parse(List.of(RICH_HEADER));
        assertEquals(List.of(), parsed.rejected());
        return parsed.challenges().get(0);
    }

    @Test
    void headerValueIsPaymentSchemeWithUnpaddedBase64Url() {
        String value = Credential.headerValue(rich(), SPT, Optional.empty());
        assertTrue(value.startsWith("Payment "), value);
        String encoded = value.substring("Payment ".length());
        assertTrue(encoded.matches("[A-Za-z0-9_-]+"), "base64url-nopad per the ABNF: " + encoded);
    }

    @Test
    void credentialEchoesEveryParameterExactlyAndInOrder() {
        Challenge c = rich();
        assertEquals(Optional.of("Café \"best\", \\ 中文 naïve"), c.description());
        DecodedCredential decoded = Credential.decode(Credential.headerValue(c, SPT, Optional.of("did:key:z6Mk")));
        assertEquals(c.params(), decoded.challengeParams());
        assertEquals(List.copyOf(c.params().keySet()), List.copyOf(decoded.challengeParams().keySet()));
        assertEquals(List.of("id", "realm", "method", "intent", "request", "description", "digest", "expires", "opaque",
                "header", "x-future"), List.copyOf(decoded.challengeParams().keySet()));
        assertEquals("-hmacXYZ_09", decoded.challengeParams().get("id"));
        assertEquals("sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:", decoded.challengeParams().get("digest"));
        assertEquals("eyJwaSI6InBpXzEyMyJ9", decoded.challengeParams().get("opaque"));
        assertEquals("2030-01-15T12:05:00.000Z", decoded.challengeParams().get("expires"), "millis kept, not re-formatted");
        assertEquals("Payment-Authorization", decoded.challengeParams().get("header"));
        assertEquals("kept as is", decoded.challengeParams().get("x-future"));
        assertEquals(Map.of("spt", SPT), decoded.payload());
        assertEquals(Optional.of(SPT), decoded.spt());
        assertEquals(Optional.of("did:key:z6Mk"), decoded.source());
        assertEquals(c, decoded.challenge());
    }

    @Test
    void requestIsEchoedAsReceivedNotReEncoded() {
        // Padded, standard-alphabet request: still decodable, and echoed byte for byte.
        String padded = java.util.Base64.getEncoder().encodeToString(
                "{\"amount\":\"100\",\"currency\":\"usd\",\"description\":\"??>>~~\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertTrue(padded.endsWith("=") && (padded.contains("+") || padded.contains("/")), padded);
        Challenge c = ChallengeParser.parse(List.of("Payment id=\"a\", realm=\"r\", method=\"stripe\", intent=\"charge\", request=\""
                + padded + "\"")).challenges().get(0);
        assertEquals(100, c.chargeRequest().amountMinor());
        assertEquals(padded, Credential.decode(Credential.headerValue(c, SPT, Optional.empty())).challengeParams().get("request"));
    }

    @Test
    void jsonHasChallengePayloadAndOptionalSourceAndExternalId() throws Exception {
        String value = Credential.headerValue(rich(), SPT, Optional.of("did:web:agent.test"), Optional.of("order_9"));
        JsonNode json = new ObjectMapper().readTree(Base64Url.decodeUtf8(value.substring(8), "test"));
        List<String> top = new ArrayList<>();
        json.fieldNames().forEachRemaining(top::add);
        assertEquals(List.of("challenge", "payload", "source"), top);
        assertEquals(SPT, json.get("payload").get("spt").textValue());
        assertEquals("order_9", json.get("payload").get("externalId").textValue());
        assertEquals("did:web:agent.test", json.get("source").textValue());

        JsonNode noSource = new ObjectMapper().readTree(Base64Url.decodeUtf8(
                Credential.headerValue(rich(), SPT, Optional.empty()).substring(8), "test"));
        assertFalse(noSource.has("source"));
        assertFalse(noSource.get("payload").has("externalId"));
    }

    @Test
    void decodesTheStripeDraftCredentialExample() {
        DecodedCredential d = Credential.decode("Payment eyJjaGFsbGVuZ2UiOnsiaWQiOiJjaF8xYTJiM2M0ZDVlIiwicmVhbG0iOiJhcGkuZXhhbXBsZS5jb20iLCJtZXRob2QiOiJzdHJpcGUiLCJpbnRlbnQiOiJjaGFyZ2UiLCJyZXF1ZXN0IjoiZXlKaGJXOTFiblFpT2lJMU1EQXdJaXdpWTNWeWNtVnVZM2tpT2lKMWMyUWlMQ0prWlhOamNtbHdkR2x2YmlJNklrRkpJR2RsYm1WeVlYUnBiMjRpZlEiLCJleHBpcmVzIjoiMjAyNS0wMS0xNVQxMjowNTowMFoifSwicGF5bG9hZCI6eyJzcHQiOiJzcHRfMU40WnYzMmVadktZbG8yQ1BoVlBrSmxXIn19");
        assertEquals(Optional.of("ch_1a2b3c4d5e"), d.challengeId());
        assertEquals("stripe", d.challengeParams().get("method"));
        assertEquals("2025-01-15T12:05:00Z", d.challengeParams().get("expires"));
        assertEquals(Optional.of("spt_1N4Zv32eZvKYlo2CPhVPkJlW"), d.spt());
        assertEquals(Optional.empty(), d.source());
        assertEquals(5000, d.challenge().chargeRequest().amountMinor());
    }

    @Test
    void reproducesTheStripeDraftCredentialExactly() {
        // Same params in the same order as the draft's example: the encoding must match the draft byte for byte.
        Challenge c = ChallengeParser.parse(List.of("Payment id=\"ch_1a2b3c4d5e\", realm=\"api.example.com\", method=\"stripe\", "
                + "intent=\"charge\", request=\"eyJhbW91bnQiOiI1MDAwIiwiY3VycmVuY3kiOiJ1c2QiLCJkZXNjcmlwdGlvbiI6IkFJIGdlbmVyYXRpb24ifQ\", "
                + "expires=\"2025-01-15T12:05:00Z\"")).challenges().get(0);
        assertEquals("Payment eyJjaGFsbGVuZ2UiOnsiaWQiOiJjaF8xYTJiM2M0ZDVlIiwicmVhbG0iOiJhcGkuZXhhbXBsZS5jb20iLCJtZXRob2QiOiJzdHJpcGUiLCJpbnRlbnQiOiJjaGFyZ2UiLCJyZXF1ZXN0IjoiZXlKaGJXOTFiblFpT2lJMU1EQXdJaXdpWTNWeWNtVnVZM2tpT2lKMWMyUWlMQ0prWlhOamNtbHdkR2x2YmlJNklrRkpJR2RsYm1WeVlYUnBiMjRpZlEiLCJleHBpcmVzIjoiMjAyNS0wMS0xNVQxMjowNTowMFoifSwicGF5bG9hZCI6eyJzcHQiOiJzcHRfMU40WnYzMmVadktZbG8yQ1BoVlBrSmxXIn19",
                Credential.headerValue(c, "spt_1N4Zv32eZvKYlo2CPhVPkJlW", Optional.empty()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"sk_" + "live_51Hsecretkey", "pm_1Abc", "spt_", "spt_abc def", "spt_abc\"}", "", "SPT_abc"})
    void refusesValuesThatAreNotSptsWithoutQuotingThem(String notAnSpt) {
        MppProtocolException e = assertThrows(MppProtocolException.class,
                () -> Credential.headerValue(rich(), notAnSpt, Optional.empty()));
        // A fixed message: it cannot quote the value.
        assertEquals("SPT has an unexpected format (expected 'spt_' followed by letters, digits or '_')", e.getMessage());
        assertThrows(MppProtocolException.class, () -> Credential.headerValue(rich(), null, Optional.empty()));
    }

    @Test
    void refusesBlankOrControlCharacterSourceAndExternalId() {
        assertThrows(MppProtocolException.class, () -> Credential.headerValue(rich(), SPT, Optional.of(" ")));
        assertThrows(MppProtocolException.class, () -> Credential.headerValue(rich(), SPT, Optional.of("did:x\r\nX: y")));
        assertThrows(MppProtocolException.class, () -> Credential.headerValue(rich(), SPT, Optional.empty(), Optional.of("")));
    }

    @Test
    void decodeErrorsNeverQuoteTheCredential() {
        String secret = "spt_TOPSECRET123";
        List<String> bad = List.of(
                "Bearer abc",
                "Payment",
                "Paymentxyz",
                "Payment !!!",
                "Payment " + Base64Url.encodeUtf8("{\"payload\":{\"spt\":\"" + secret + "\"} trailing " + secret),
                "Payment " + Base64Url.encodeUtf8("not json " + secret),
                "Payment " + Base64Url.encodeUtf8("[\"" + secret + "\"]"),
                "Payment " + Base64Url.encodeUtf8("{\"payload\":{\"spt\":\"" + secret + "\"}}"),
                "Payment " + Base64Url.encodeUtf8("{\"challenge\":{\"id\":1},\"payload\":{\"spt\":\"" + secret + "\"}}"),
                "Payment " + Base64Url.encodeUtf8("{\"challenge\":{\"id\":\"a\"},\"payload\":\"" + secret + "\"}"),
                "Payment " + Base64Url.encodeUtf8("{\"challenge\":{\"id\":\"a\"},\"payload\":{},\"source\":7}"),
                "Payment " + Base64Url.encodeUtf8("{\"challenge\":{},\"payload\":{\"spt\":\"" + secret + "\",\"spt\":\"x\"}}"));
        for (String value : bad) {
            MppProtocolException e = assertThrows(MppProtocolException.class, () -> Credential.decode(value), value);
            assertFalse(e.getMessage().contains(secret), e.getMessage());
            assertTrue(e.getMessage().startsWith("credential"), e.getMessage());
        }
        assertThrows(MppProtocolException.class, () -> Credential.decode(null));
        assertThrows(MppProtocolException.class, () -> Credential.decode("Payment " + "A".repeat(Credential.MAX_HEADER_CHARS)));
    }

    @Test
    void decodeAcceptsCaseInsensitiveSchemeAndSurroundingSpace() {
        String value = Credential.headerValue(rich(), SPT, Optional.empty());
        DecodedCredential d = Credential.decode("  payment " + value.substring(8) + " ");
        assertEquals(Optional.of("-hmacXYZ_09"), d.challengeId());
    }

    @Test
    void decodedCredentialToStringHidesTheSpt() {
        DecodedCredential d = Credential.decode(Credential.headerValue(rich(), SPT, Optional.empty()));
        assertFalse(d.toString().contains(SPT), d.toString());
        assertTrue(d.toString().contains("-hmacXYZ_09"), d.toString());
    }
}
