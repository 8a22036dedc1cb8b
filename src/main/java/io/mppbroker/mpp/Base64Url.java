package io.mppbroker.mpp;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Base64url helpers. Encoding is always base64url without padding (what the drafts require on the wire);
 * decoding is lenient because sellers differ: padding optional, and the standard alphabet is accepted when
 * the text does not mix both alphabets.
 */
public final class Base64Url {

    private Base64Url() {
    }

    public static String encode(byte[] data) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(data);
    }

    public static String encodeUtf8(String text) {
        return encode(text.getBytes(StandardCharsets.UTF_8));
    }

    /** Decodes {@code text}; {@code what} names the value in error messages (e.g. "request parameter"). */
    public static byte[] decode(String text, String what) {
        if (text == null || text.isEmpty()) {
            throw new MppProtocolException(what + " is empty");
        }
        int end = text.length();
        int padding = 0;
        while (end > 0 && text.charAt(end - 1) == '=' && padding < 2) {
            end--;
            padding++;
        }
        if (end == 0) {
            throw new MppProtocolException(what + " is not valid base64url: no data");
        }
        if (padding > 0 && text.length() % 4 != 0) {
            throw new MppProtocolException(what + " is not valid base64url: wrong padding");
        }
        boolean urlAlphabet = false;
        boolean standardAlphabet = false;
        for (int i = 0; i < end; i++) {
            char c = text.charAt(i);
            if (c == '-' || c == '_') {
                urlAlphabet = true;
            } else if (c == '+' || c == '/') {
                standardAlphabet = true;
            } else if (!(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9')) {
                throw new MppProtocolException(what + " is not valid base64url: unexpected character at position " + i);
            }
        }
        if (urlAlphabet && standardAlphabet) {
            throw new MppProtocolException(what + " is not valid base64url: it mixes the base64url and base64 alphabets");
        }
        if (end % 4 == 1) {
            throw new MppProtocolException(what + " is not valid base64url: impossible length");
        }
        String data = text.substring(0, end);
        try {
            return standardAlphabet ? Base64.getDecoder().decode(data) : Base64.getUrlDecoder().decode(data);
        } catch (IllegalArgumentException e) {
            throw new MppProtocolException(what + " is not valid base64url");
        }
    }

    /** Decodes base64url text whose bytes must be well-formed UTF-8. */
    public static String decodeUtf8(String text, String what) {
        return utf8(decode(text, what), what);
    }

    static String utf8(byte[] bytes, String what) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new MppProtocolException(what + " is not valid UTF-8");
        }
    }
}
