package io.mppbroker.mpp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ChargeRequestTest {

    static String encode(String json) {
        return Base64Url.encodeUtf8(json);
    }

    static ChargeRequest decodeJson(String json) {
        return ChargeRequest.decode(encode(json));
    }

    static void assertRejected(String json, String expectedMessagePart) {
        MppProtocolException e = assertThrows(MppProtocolException.class, () -> decodeJson(json), json);
        assertTrue(e.getMessage().contains(expectedMessagePart), () -> "message <" + e.getMessage() + "> lacks <" + expectedMessagePart + ">");
    }

    @Test
    void decodesTheStripeDraftRequestExample() {
        ChargeRequest r = decodeJson("""
                {
                  "amount": "5000",
                  "currency": "usd",
                  "description": "Premium API access for 1 month",
                  "externalId": "order_12345",
                  "methodDetails": {
                    "networkId": "profile_1MqDcVKA5fEO2tZvKQm9g8Yj",
                    "paymentMethodTypes": ["card", "link"]
                  }
                }""");
        assertEquals(5000, r.amountMinor());
        assertEquals("usd", r.currency());
        assertEquals(Optional.of("Premium API access for 1 month"), r.description());
        assertEquals(Optional.of("order_12345"), r.externalId());
        assertEquals(Optional.empty(), r.recipient());
        assertEquals(Optional.of("profile_1MqDcVKA5fEO2tZvKQm9g8Yj"), r.networkId());
        assertEquals(List.of("card", "link"), r.paymentMethodTypes());
        assertEquals(Map.of(), r.metadata());
        assertEquals(new BigDecimal("50.00"), r.amountMajor());
    }

    @Test
    void decodesTheEncodedStripeDraftChallengeRequest() {
        ChargeRequest r = ChargeRequest.decode("eyJhbW91bnQiOiI1MDAwIiwiY3VycmVuY3kiOiJ1c2QiLCJkZXNjcmlwdGlvbiI6IkFJIGdlbmVyYXRpb24ifQ");
        assertEquals(new ChargeRequest(5000, "usd", Optional.empty(), Optional.of("AI generation"), Optional.empty(),
                Optional.empty(), List.of(), Map.of()), r);
    }

    @Test
    void readsMetadataAndIgnoresUnknownFields() {
        ChargeRequest r = decodeJson("{\"amount\":\"99\",\"currency\":\"eur\",\"recipient\":\"acct_1\",\"future\":{\"x\":[1]},"
                + "\"methodDetails\":{\"metadata\":{\"order\":\"o_1\",\"n\":7,\"flag\":true},\"version\":\"1\"}}");
        assertEquals(Optional.of("acct_1"), r.recipient());
        assertEquals(Map.of("order", "o_1", "n", "7", "flag", "true"), r.metadata());
        assertEquals(List.of("order", "n", "flag"), List.copyOf(r.metadata().keySet()));
    }

    @Test
    void decodingIsLenientAboutPaddingAndAlphabet() {
        // 0xfb 0xff bytes only appear when the JSON text makes base64 emit '-'/'_' or '+'/'/': use a description that does.
        String json = "{\"amount\":\"100\",\"currency\":\"usd\",\"description\":\"??>>~~\"}";
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        String standardPadded = Base64.getEncoder().encodeToString(bytes);
        assertTrue(standardPadded.contains("+") || standardPadded.contains("/"), standardPadded);
        assertTrue(standardPadded.endsWith("="), standardPadded);
        String urlNoPad = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        String urlPadded = Base64.getUrlEncoder().encodeToString(bytes);
        for (String encoded : List.of(standardPadded, urlNoPad, urlPadded, standardPadded.replace("=", ""))) {
            assertEquals(Optional.of("??>>~~"), ChargeRequest.decode(encoded).description(), encoded);
        }
    }

    @Test
    void mixedAlphabetsAreRejected() {
        MppProtocolException e = assertThrows(MppProtocolException.class, () -> ChargeRequest.decode("eyJh-W91+nQi"));
        assertTrue(e.getMessage().contains("mixes the base64url and base64 alphabets"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"!!!!", "eyJhb", "eyJ hbW91bnQ", "ey=J", "e===", "====", "eyJ\u00e9"})
    void badBase64IsRejected(String encoded) {
        MppProtocolException e = assertThrows(MppProtocolException.class, () -> ChargeRequest.decode(encoded));
        assertTrue(e.getMessage().startsWith("request parameter is not valid base64url"), e.getMessage());
    }

    @Test
    void emptyOrHugeRequestIsRejected() {
        assertThrows(MppProtocolException.class, () -> ChargeRequest.decode(""));
        assertThrows(MppProtocolException.class, () -> ChargeRequest.decode(null));
        MppProtocolException e = assertThrows(MppProtocolException.class,
                () -> ChargeRequest.decode("A".repeat(ChargeRequest.MAX_ENCODED_CHARS + 4)));
        assertTrue(e.getMessage().contains("longer than"), e.getMessage());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "not json|request parameter is not valid JSON",
            "[1,2]|must be a JSON object, got an array",
            "\"text\"|must be a JSON object, got a string",
            "{\"amount\":\"1\",\"currency\":\"usd\"} trailing|request parameter is not valid JSON",
            "{\"amount\":\"1\",\"amount\":\"100000\",\"currency\":\"usd\"}|request parameter is not valid JSON: Duplicate field 'amount'",
            "{\"currency\":\"usd\"}|request field 'amount' is missing",
            "{\"amount\":\"1\"}|request field 'currency' is missing",
            "{\"amount\":null,\"currency\":\"usd\"}|request field 'amount' is missing",
            "{\"amount\":5000,\"currency\":\"usd\"}|request field 'amount' must be a string of digits, got a number",
            "{\"amount\":\"1\",\"currency\":840}|request field 'currency' must be a string, got a number",
            "{\"amount\":\"1\",\"currency\":\"usd\",\"methodDetails\":\"x\"}|'methodDetails' must be an object, got a string",
            "{\"amount\":\"1\",\"currency\":\"usd\",\"methodDetails\":{\"networkId\":1}}|'methodDetails.networkId' must be a string",
            "{\"amount\":\"1\",\"currency\":\"usd\",\"methodDetails\":{\"paymentMethodTypes\":\"card\"}}|must be an array of strings",
            "{\"amount\":\"1\",\"currency\":\"usd\",\"methodDetails\":{\"paymentMethodTypes\":[\"card\",2]}}|must contain only strings",
            "{\"amount\":\"1\",\"currency\":\"usd\",\"methodDetails\":{\"metadata\":{\"a\":{}}}}|'methodDetails.metadata.a' must be a string",
            "{\"amount\":\"1\",\"currency\":\"usd\",\"recipient\":[]}|'recipient' must be a string, got an array",
            "{\"amount\":\"1\",\"currency\":\"usd\",\"description\":true}|'description' must be a string, got a boolean",
    })
    void badJsonOrFieldsAreRejectedPrecisely(String json, String message) {
        assertRejected(json, message);
    }

    @Test
    void invalidUtf8IsRejected() {
        byte[] bytes = {'{', '"', 'a', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
        MppProtocolException e = assertThrows(MppProtocolException.class,
                () -> ChargeRequest.decode(Base64Url.encode(bytes)));
        assertEquals("request parameter is not valid UTF-8", e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"-1", "-0", "abc", "1.5", "1,000", "+5", "", " 5", "5 ", "1e3", "0x10", "\u0661\u0662\u0663",
            "\uff11\uff12", "1000000000000", "9999999999999999999999", "0", "000"})
    void invalidAmountsAreRejected(String amount) {
        MppProtocolException e = assertThrows(MppProtocolException.class,
                () -> decodeJson("{\"amount\":\"" + amount + "\",\"currency\":\"usd\"}"), amount);
        assertTrue(e.getMessage().startsWith("request field 'amount'"), e.getMessage());
    }

    @ParameterizedTest
    @CsvSource({"1,1", "0050,50", "999999999999,999999999999", "250,250"})
    void validAmountsAreExact(String amount, long expected) {
        assertEquals(expected, decodeJson("{\"amount\":\"" + amount + "\",\"currency\":\"usd\"}").amountMinor());
    }

    @ParameterizedTest
    @ValueSource(strings = {"xyz", "us", "usdd", "", "u$d", "\u00fcsd", "xau", "xxx", "XTS"})
    void unknownOrUnusableCurrenciesAreRejected(String currency) {
        MppProtocolException e = assertThrows(MppProtocolException.class,
                () -> decodeJson("{\"amount\":\"100\",\"currency\":\"" + currency + "\"}"), currency);
        assertTrue(e.getMessage().startsWith("request field 'currency'"), e.getMessage());
    }

    @ParameterizedTest
    @CsvSource({
            "usd,250,2.50",
            "USD,250,2.50",
            "eur,1,0.01",
            "jpy,500,500",
            "krw,1000,1000",
            "kwd,1234,1.234",
            "bhd,10,0.010",
            "isk,500,5.00",
            "mga,700,700",
            "usd,999999999999,9999999999.99"})
    void amountMajorUsesStripeMinorUnitsExactly(String currency, long minor, String major) {
        ChargeRequest r = decodeJson("{\"amount\":\"" + minor + "\",\"currency\":\"" + currency + "\"}");
        assertEquals(currency.toLowerCase(), r.currency());
        // BigDecimal.equals compares scale too: 2.50 is not 2.5.
        assertEquals(new BigDecimal(major), r.amountMajor());
    }

    @Test
    void constructorValidatesToo() {
        assertThrows(MppProtocolException.class, () -> new ChargeRequest(0, "usd", Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), List.of(), Map.of()));
        assertThrows(MppProtocolException.class, () -> new ChargeRequest(ChargeRequest.MAX_AMOUNT_MINOR + 1, "usd",
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), List.of(), Map.of()));
        assertThrows(MppProtocolException.class, () -> new ChargeRequest(1, "abc", Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), List.of(), Map.of()));
        assertEquals("gbp", new ChargeRequest(1, "GBP", Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), List.of(), Map.of()).currency());
    }
}
