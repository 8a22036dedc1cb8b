package io.mppbroker.mpp;

/** Character classes of RFC 9110 §5.6. */
final class HeaderSyntax {

    private HeaderSyntax() {
    }

    static boolean isTchar(char c) {
        if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
            return true;
        }
        return switch (c) {
            case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~' -> true;
            default -> false;
        };
    }

    static boolean isToken68Char(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
                || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
    }

    static boolean isToken(String s, int from, int to) {
        if (from >= to) {
            return false;
        }
        for (int i = from; i < to; i++) {
            if (!isTchar(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    static boolean isOws(char c) {
        return c == ' ' || c == '\t';
    }

    /** Control characters that may not appear in a header value (HTAB excepted). */
    static boolean isCtl(char c) {
        return c < 0x20 && c != '\t' || c == 0x7F;
    }

    /** A printable description of a character for error messages. */
    static String describe(char c) {
        if (c >= 0x21 && c < 0x7F) {
            return "'" + c + "'";
        }
        return String.format("U+%04X", (int) c);
    }
}
