package io.mppbroker.mpp;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Parses {@code WWW-Authenticate} header lines into Payment challenges (draft-httpauth-payment-00 §5.1,
 * RFC 9110 §11.6.1).
 *
 * <p>Handles several challenges per line (mppx joins its offers with ", ") and across lines; a line is split
 * at scheme boundaries (a token not followed by '='), never at commas inside quoted strings. Other schemes are
 * skipped silently. A hand-written single-pass scanner, so every input is processed in linear time; sizes are
 * capped before parsing. Bad input never throws: it ends up in {@link ParsedChallenges#rejected()}.
 */
public final class ChallengeParser {

    /** Longest header line parsed; the drafts ask servers to stay under 8 KB per challenge. */
    public static final int MAX_LINE_CHARS = 16 * 1024;
    /** Longest sum of all lines parsed. */
    public static final int MAX_TOTAL_CHARS = 64 * 1024;
    /** Most challenges (of any scheme) looked at per response. */
    public static final int MAX_CHALLENGES = 64;
    /** Most parameters in one challenge. */
    public static final int MAX_PARAMS = 64;

    private static final int MAX_QUOTED_ID_CHARS = 64;

    private ChallengeParser() {
    }

    public static ParsedChallenges parse(List<String> wwwAuthenticateHeaderLines) {
        List<Challenge> challenges = new ArrayList<>();
        List<String> rejected = new ArrayList<>();
        if (wwwAuthenticateHeaderLines == null) {
            return new ParsedChallenges(challenges, rejected);
        }
        int totalChars = 0;
        int seen = 0;
        int paymentNumber = 0;
        int lineNumber = 0;
        for (String line : wwwAuthenticateHeaderLines) {
            lineNumber++;
            if (line == null || line.isEmpty()) {
                continue;
            }
            if (line.length() > MAX_LINE_CHARS) {
                rejected.add("WWW-Authenticate line " + lineNumber + " has " + line.length()
                        + " characters, over the limit of " + MAX_LINE_CHARS + ": not parsed");
                continue;
            }
            totalChars += line.length();
            if (totalChars > MAX_TOTAL_CHARS) {
                rejected.add("WWW-Authenticate lines exceed " + MAX_TOTAL_CHARS
                        + " characters in total: line " + lineNumber + " and later not parsed");
                break;
            }
            LineScanner scanner = new LineScanner(line, lineNumber, MAX_CHALLENGES - seen);
            scanner.scan();
            seen += scanner.challenges.size();
            for (RawChallenge raw : scanner.challenges) {
                if (!raw.scheme.equalsIgnoreCase(MppHeaders.PAYMENT_SCHEME)) {
                    continue;
                }
                paymentNumber++;
                String problem = raw.problem();
                if (problem == null) {
                    try {
                        challenges.add(Challenge.fromParams(raw.paramMap()));
                        continue;
                    } catch (MppProtocolException e) {
                        problem = e.getMessage();
                    }
                }
                rejected.add(raw.label(paymentNumber) + ": " + problem);
            }
            if (scanner.lineProblem != null) {
                rejected.add(scanner.lineProblem);
            }
            if (scanner.budgetExhausted) {
                rejected.add("more than " + MAX_CHALLENGES + " challenges in WWW-Authenticate: the rest were not parsed");
                break;
            }
        }
        return new ParsedChallenges(challenges, rejected);
    }

    /**
     * The first stripe/charge challenge whose request decodes, whose expiry (if any) is valid RFC 3339, and
     * which {@code acceptable} accepts (e.g. a currency filter). Server order is preference order (core §6.4).
     */
    public static Optional<Challenge> chooseStripeCharge(List<Challenge> challenges, Predicate<Challenge> acceptable) {
        Objects.requireNonNull(acceptable, "acceptable");
        if (challenges == null) {
            return Optional.empty();
        }
        for (Challenge challenge : challenges) {
            if (!challenge.isStripeCharge()) {
                continue;
            }
            try {
                challenge.chargeRequest();
                challenge.expiresAt();
                if (acceptable.test(challenge)) {
                    return Optional.of(challenge);
                }
            } catch (MppProtocolException unusable) {
                // An undecodable offer is skipped; a later one may still be usable.
            }
        }
        return Optional.empty();
    }

    public static Optional<Challenge> chooseStripeCharge(List<Challenge> challenges) {
        return chooseStripeCharge(challenges, c -> true);
    }

    /** A usable stripe/charge offer with its request decoded and its expiry read. */
    public record StripeCharge(Challenge challenge, ChargeRequest request, Optional<Instant> expiresAt) {}

    /**
     * Every stripe/charge challenge that {@link #chooseStripeCharge} would accept, in server order (preference
     * order), each request decoded once, so a caller can choose among them without decoding again.
     */
    public static List<StripeCharge> stripeCharges(List<Challenge> challenges) {
        List<StripeCharge> usable = new ArrayList<>();
        if (challenges == null) {
            return usable;
        }
        for (Challenge challenge : challenges) {
            if (!challenge.isStripeCharge()) {
                continue;
            }
            try {
                usable.add(new StripeCharge(challenge, challenge.chargeRequest(), challenge.expiresAt()));
            } catch (MppProtocolException unusable) {
                // An undecodable offer is skipped; a later one may still be usable.
            }
        }
        return usable;
    }

    /** One challenge as scanned, before validation. */
    private static final class RawChallenge {
        final String scheme;
        final int line;
        final List<String[]> params = new ArrayList<>();
        String token68;
        String syntaxError;

        RawChallenge(String scheme, int line) {
            this.scheme = scheme;
            this.line = line;
        }

        /** The reason this challenge cannot be used, checked before the required parameters; null if none. */
        String problem() {
            if (syntaxError != null) {
                return "malformed header: " + syntaxError;
            }
            if (token68 != null) {
                return "expected parameters, got a token68 value";
            }
            Map<String, Boolean> names = new LinkedHashMap<>();
            for (String[] p : params) {
                if (names.put(p[0], Boolean.TRUE) != null) {
                    return "duplicate parameter '" + p[0] + "'";
                }
            }
            return null;
        }

        Map<String, String> paramMap() {
            Map<String, String> map = new LinkedHashMap<>();
            for (String[] p : params) {
                map.put(p[0], p[1]);
            }
            return map;
        }

        String label(int number) {
            StringBuilder sb = new StringBuilder("Payment challenge #").append(number).append(" (line ").append(line);
            for (String[] p : params) {
                if (p[0].equals("id") && !p[1].isEmpty()) {
                    String id = p[1].length() > MAX_QUOTED_ID_CHARS ? p[1].substring(0, MAX_QUOTED_ID_CHARS) + "..." : p[1];
                    sb.append(", id '").append(printable(id)).append('\'');
                    break;
                }
            }
            return sb.append(')').toString();
        }

        private static String printable(String s) {
            StringBuilder sb = new StringBuilder(s.length());
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                sb.append(c >= 0x20 && c < 0x7F ? c : '?');
            }
            return sb.toString();
        }
    }

    /**
     * Single pass over one header line. On a syntax error the current challenge is marked bad and the rest of
     * the line is dropped: after an error nothing reliable says where the next challenge starts.
     */
    private static final class LineScanner {
        final String s;
        final int n;
        final int lineNumber;
        final int budget;
        final List<RawChallenge> challenges = new ArrayList<>();
        String lineProblem;
        boolean budgetExhausted;

        LineScanner(String s, int lineNumber, int budget) {
            this.s = s;
            this.n = s.length();
            this.lineNumber = lineNumber;
            this.budget = budget;
        }

        void scan() {
            RawChallenge current = null;
            int i = 0;
            while (true) {
                i = skipOwsAndCommas(i);
                if (i >= n) {
                    return;
                }
                int start = i;
                while (i < n && HeaderSyntax.isTchar(s.charAt(i))) {
                    i++;
                }
                if (i == start) {
                    fail(current, start, "unexpected character " + HeaderSyntax.describe(s.charAt(start)) + " at position " + start);
                    return;
                }
                String token = s.substring(start, i);
                int j = skipOws(i);
                if (j < n && s.charAt(j) == '=') {
                    if (current == null) {
                        fail(null, start, "parameter '" + token + "' before any scheme at position " + start);
                        return;
                    }
                    i = readParam(current, token.toLowerCase(Locale.ROOT), skipOws(j + 1));
                    if (i < 0) {
                        return;
                    }
                    continue;
                }
                // A token not followed by '=' starts a new challenge.
                if (challenges.size() == budget) {
                    budgetExhausted = true;
                    return;
                }
                current = new RawChallenge(token, lineNumber);
                challenges.add(current);
                if (j > i) {
                    int afterToken68 = token68End(j);
                    if (afterToken68 >= 0) {
                        current.token68 = s.substring(j, afterToken68).strip();
                        i = afterToken68;
                        continue;
                    }
                }
                i = j;
            }
        }

        /** Reads a parameter value at {@code i}; returns the index after it and its trailing OWS, or -1. */
        private int readParam(RawChallenge current, String name, int i) {
            String value;
            if (i < n && s.charAt(i) == '"') {
                StringBuilder sb = new StringBuilder();
                i = readQuoted(i, sb, current, name);
                if (i < 0) {
                    return -1;
                }
                value = sb.toString();
            } else {
                int start = i;
                // A bare value is a token; '/' and '=' (base64 text) are tolerated as they cannot end a value.
                while (i < n && (HeaderSyntax.isTchar(s.charAt(i)) || s.charAt(i) == '/' || s.charAt(i) == '=')) {
                    i++;
                }
                if (i == start) {
                    fail(current, start, "parameter '" + name + "' has no value");
                    return -1;
                }
                value = s.substring(start, i);
            }
            if (current.params.size() == MAX_PARAMS) {
                fail(current, i, "more than " + MAX_PARAMS + " parameters");
                return -1;
            }
            current.params.add(new String[] {name, value});
            i = skipOws(i);
            if (i < n && s.charAt(i) != ',') {
                fail(current, i, "expected ',' after parameter '" + name + "' at position " + i);
                return -1;
            }
            return i;
        }

        /**
         * Reads the quoted-string opening at {@code i} into {@code out}; returns the index after the closing
         * quote, or -1. Unescapes {@code \"}, {@code \\} (any quoted-pair) and mppx's {@code \}{@code uXXXX}.
         */
        private int readQuoted(int i, StringBuilder out, RawChallenge current, String name) {
            int k = i + 1;
            while (k < n) {
                char c = s.charAt(k);
                if (c == '"') {
                    if (!wellFormedSurrogates(out)) {
                        fail(current, i, "parameter '" + name + "' contains an unpaired surrogate escape");
                        return -1;
                    }
                    return k + 1;
                }
                if (c == '\\') {
                    if (k + 1 >= n) {
                        break;
                    }
                    char e = s.charAt(k + 1);
                    if (e == 'u' && k + 5 < n && isHex4(k + 2)) {
                        char decoded = (char) Integer.parseInt(s.substring(k + 2, k + 6), 16);
                        if (HeaderSyntax.isCtl(decoded)) {
                            fail(current, k, "parameter '" + name + "' contains an escaped control character");
                            return -1;
                        }
                        out.append(decoded);
                        k += 6;
                        continue;
                    }
                    if (HeaderSyntax.isCtl(e)) {
                        fail(current, k, "control character in parameter '" + name + "'");
                        return -1;
                    }
                    out.append(e);
                    k += 2;
                    continue;
                }
                if (HeaderSyntax.isCtl(c)) {
                    fail(current, k, "control character in parameter '" + name + "'");
                    return -1;
                }
                out.append(c);
                k++;
            }
            fail(current, i, "unterminated quoted string in parameter '" + name + "'");
            return -1;
        }

        private boolean isHex4(int from) {
            for (int k = from; k < from + 4; k++) {
                char c = s.charAt(k);
                if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F')) {
                    return false;
                }
            }
            return true;
        }

        /**
         * If a token68 (RFC 9110 §11.2) starts at {@code j}, returns the index after it and its trailing OWS;
         * else -1. It is a token68 only when it ends the challenge (end of line or ','), which tells it apart
         * from {@code name=value}.
         */
        private int token68End(int j) {
            int k = j;
            while (k < n && HeaderSyntax.isToken68Char(s.charAt(k))) {
                k++;
            }
            if (k == j) {
                return -1;
            }
            while (k < n && s.charAt(k) == '=') {
                k++;
            }
            int after = skipOws(k);
            return after >= n || s.charAt(after) == ',' ? after : -1;
        }

        /** Skips OWS; CR and LF too, as a folded line (obs-fold, RFC 9112 §5.2) counts as spaces. */
        private int skipOws(int i) {
            while (i < n && isSpace(s.charAt(i))) {
                i++;
            }
            return i;
        }

        private static boolean isSpace(char c) {
            return HeaderSyntax.isOws(c) || c == '\r' || c == '\n';
        }

        private int skipOwsAndCommas(int i) {
            while (i < n && (isSpace(s.charAt(i)) || s.charAt(i) == ',')) {
                i++;
            }
            return i;
        }

        private void fail(RawChallenge current, int at, String error) {
            String rest = mentionsPayment(at) ? "; the rest of the line was not parsed" : "";
            if (current != null && current.scheme.equalsIgnoreCase(MppHeaders.PAYMENT_SCHEME)) {
                current.syntaxError = error + rest;
            } else if (!rest.isEmpty()) {
                // The broken part is not a Payment challenge, but Payment challenges after it are lost.
                lineProblem = "malformed WWW-Authenticate line " + lineNumber + ": " + error + rest;
            }
        }

        private boolean mentionsPayment(int from) {
            String scheme = MppHeaders.PAYMENT_SCHEME;
            for (int k = Math.max(0, from); k + scheme.length() <= n; k++) {
                if (s.regionMatches(true, k, scheme, 0, scheme.length())) {
                    return true;
                }
            }
            return false;
        }

        private static boolean wellFormedSurrogates(CharSequence v) {
            for (int k = 0; k < v.length(); k++) {
                char c = v.charAt(k);
                if (Character.isHighSurrogate(c)) {
                    if (k + 1 >= v.length() || !Character.isLowSurrogate(v.charAt(k + 1))) {
                        return false;
                    }
                    k++;
                } else if (Character.isLowSurrogate(c)) {
                    return false;
                }
            }
            return true;
        }
    }
}
