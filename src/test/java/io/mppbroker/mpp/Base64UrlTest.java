package io.mppbroker.mpp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class Base64UrlTest {

    @Test
    void encodesWithoutPaddingInTheUrlAlphabetAndRoundTrips() {
        Random random = new Random(7);
        for (int length = 0; length < 64; length++) {
            byte[] data = new byte[length];
            random.nextBytes(data);
            String encoded = Base64Url.encode(data);
            assertTrue(encoded.matches("[A-Za-z0-9_-]*"), encoded);
            if (length > 0) {
                assertArrayEquals(data, Base64Url.decode(encoded, "x"));
            }
        }
        assertEquals("-_8", Base64Url.encode(new byte[] {(byte) 0xfb, (byte) 0xff}));
    }

    @Test
    void decodesPaddedAndStandardAlphabetVariants() {
        byte[] expected = {(byte) 0xfb, (byte) 0xff};
        assertArrayEquals(expected, Base64Url.decode("-_8", "x"));
        assertArrayEquals(expected, Base64Url.decode("-_8=", "x"));
        assertArrayEquals(expected, Base64Url.decode("+/8=", "x"));
        assertArrayEquals(expected, Base64Url.decode("+/8", "x"));
    }

    @Test
    void rejectsMalformedInputNamingTheValue() {
        for (String bad : new String[] {"-/8", "ab=c", "abc==", "a", "abcde", "ab\ncd", "=", "ab===", "ab%3D"}) {
            MppProtocolException e = assertThrows(MppProtocolException.class, () -> Base64Url.decode(bad, "thing"), bad);
            assertTrue(e.getMessage().startsWith("thing "), e.getMessage());
        }
        assertEquals("thing is empty", assertThrows(MppProtocolException.class, () -> Base64Url.decode("", "thing")).getMessage());
    }
}
