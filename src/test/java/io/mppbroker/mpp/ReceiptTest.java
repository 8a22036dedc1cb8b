package io.mppbroker.mpp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ReceiptTest {

    @Test
    void parsesTheStripeDraftReceipt() {
        Receipt r = Receipt.parse("eyJtZXRob2QiOiJzdHJpcGUiLCJyZWZlcmVuY2UiOiJwaV8xTjRadjMyZVp2S1lsbzJDUGhWUGtKbFciLCJzdGF0dXMiOiJzdWNjZXNzIiwidGltZXN0YW1wIjoiMjAyNS0wMS0xNVQxMjowNDozMloifQ");
        assertEquals(new Receipt("success", "stripe", "2025-01-15T12:04:32Z", "pi_1N4Zv32eZvKYlo2CPhVPkJlW", Map.of()), r);
        assertEquals(Optional.of(Instant.parse("2025-01-15T12:04:32Z")), r.settledAt());
        assertEquals(Optional.empty(), r.externalId());
    }

    @Test
    void parsesTheCoreDraftReceipt() {
        Receipt r = Receipt.parse("eyJzdGF0dXMiOiJzdWNjZXNzIiwibWV0aG9kIjoiaW52b2ljZSIsInRpbWVzdGFtcCI6IjIwMjUtMDEtMTVUMTI6MDA6MDBaIiwicmVmZXJlbmNlIjoiaW52XzEyMzQ1In0");
        assertEquals("invoice", r.method());
        assertEquals("inv_12345", r.reference());
    }

    @Test
    void keepsExtraFieldsAsPlainValues() {
        Receipt r = Receipt.parse(Base64Url.encodeUtf8("{\"method\":\"stripe\",\"status\":\"success\",\"timestamp\":\"2026-11-21T10:00:00.123Z\","
                + "\"reference\":\"pi_9\",\"externalId\":\"order_7\",\"amount\":\"250\",\"fee\":1.50,\"nested\":{\"a\":[1,\"b\"]},\"nothing\":null}"));
        assertEquals("pi_9", r.reference());
        assertEquals(Optional.of("order_7"), r.externalId());
        assertEquals(List.of("externalId", "amount", "fee", "nested", "nothing"), List.copyOf(r.extra().keySet()));
        assertEquals(new BigDecimal("1.50"), r.extra().get("fee"));
        assertEquals(Map.of("a", List.of(1, "b")), r.extra().get("nested"));
        assertTrue(r.extra().containsKey("nothing"));
        assertEquals(Optional.of(Instant.parse("2026-11-21T10:00:00.123Z")), r.settledAt());
    }

    @Test
    void toleratesPaddingStandardAlphabetAndMissingMethodOrTimestamp() {
        String json = "{\"status\":\"success\",\"reference\":\"pi_>>>???\"}";
        String padded = java.util.Base64.getEncoder().encodeToString(json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        Receipt r = Receipt.parse(" " + padded + " ");
        assertEquals("pi_>>>???", r.reference());
        assertEquals("", r.method());
        assertEquals("", r.timestamp());
        assertEquals(Optional.empty(), r.settledAt());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "{\"status\":\"failed\",\"reference\":\"pi_1\",\"method\":\"stripe\"}|field 'status' must be \"success\", got 'failed'",
            "{\"reference\":\"pi_1\",\"method\":\"stripe\"}|field 'status' is missing",
            "{\"status\":\"success\",\"method\":\"stripe\"}|field 'reference' is missing",
            "{\"status\":\"success\",\"reference\":\"\"}|field 'reference' is missing",
            "{\"status\":\"success\",\"reference\":42}|field 'reference' must be a string, got a number",
            "{\"status\":\"success\",\"reference\":\"pi_1\",\"method\":[]}|field 'method' must be a string, got an array",
            "[\"success\"]|must be a JSON object",
            "success|is not valid JSON",
            "{\"status\":\"success\",\"status\":\"failed\",\"reference\":\"pi_1\"}|Duplicate field 'status'"})
    void rejectsInvalidReceipts(String json, String message) {
        MppProtocolException e = assertThrows(MppProtocolException.class, () -> Receipt.parse(Base64Url.encodeUtf8(json)));
        assertTrue(e.getMessage().startsWith("Payment-Receipt"), e.getMessage());
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    @Test
    void rejectsBadEncodingAndOversizeHeaders() {
        assertThrows(MppProtocolException.class, () -> Receipt.parse(""));
        assertThrows(MppProtocolException.class, () -> Receipt.parse(null));
        MppProtocolException e = assertThrows(MppProtocolException.class, () -> Receipt.parse("eyJ!"));
        assertTrue(e.getMessage().contains("not valid base64url"), e.getMessage());
        assertThrows(MppProtocolException.class, () -> Receipt.parse("A".repeat(Receipt.MAX_HEADER_CHARS + 4)));
    }
}
