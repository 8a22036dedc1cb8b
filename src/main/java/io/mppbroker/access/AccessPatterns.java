package io.mppbroker.access;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The wildcard dialects of access grants, all anchored (a pattern matches the whole value):
 * <ul>
 *   <li>{@link #action}: {@code *} any characters, {@code ?} one; case-insensitive, as AWS IAM actions;</li>
 *   <li>{@link #arn}: AWS ARN semantics: the six {@code :}-separated segments are matched one by one, and a
 *       wildcard ({@code *}, {@code ?}) never spans segments; within the last (resource) segment {@code *}
 *       also covers {@code /}, so {@code arn:aws:s3:::bucket/*} covers every object of the bucket;</li>
 *   <li>{@link #glob}: path globs for repositories, branches and URLs: {@code *} and {@code ?} stop at
 *       {@code /}, {@code **} crosses it; so {@code feature/*} covers {@code feature/x} but not
 *       {@code feature/x/y}, which {@code feature/**} covers;</li>
 *   <li>{@link #resource}: ARN semantics for patterns starting with {@code arn:}, path globs otherwise, and a lone
 *       {@code *} covering any resource.</li>
 * </ul>
 */
public final class AccessPatterns {

    private AccessPatterns() {}

    public static boolean action(String pattern, String action) {
        return wildcard(pattern.toLowerCase(Locale.ROOT)).matcher(action.toLowerCase(Locale.ROOT)).matches();
    }

    public static boolean resource(String pattern, String resource) {
        if (pattern.equals("*") || pattern.equals("**")) return true;
        return pattern.startsWith("arn:") ? arn(pattern, resource) : glob(pattern, resource);
    }

    public static boolean arn(String pattern, String arn) {
        String[] p = pattern.split(":", 6);
        String[] v = arn.split(":", 6);
        if (p.length != 6 || v.length != 6) return false;
        for (int i = 0; i < 6; i++) {
            if (!wildcard(p[i]).matcher(v[i]).matches()) return false;
        }
        return true;
    }

    public static boolean glob(String pattern, String value) {
        StringBuilder regex = new StringBuilder();
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c == '*' && i + 1 < pattern.length() && pattern.charAt(i + 1) == '*') {
                regex.append(".*");
                i++;
            } else if (c == '*') {
                regex.append("[^/]*");
            } else if (c == '?') {
                regex.append("[^/]");
            } else {
                regex.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(regex.toString(), Pattern.DOTALL).matcher(value).matches();
    }

    /** {@code *} = any run of characters, {@code ?} = one character, everything else literal. */
    private static Pattern wildcard(String pattern) {
        StringBuilder regex = new StringBuilder();
        for (char c : pattern.toCharArray()) {
            switch (c) {
                case '*' -> regex.append(".*");
                case '?' -> regex.append(".");
                default -> regex.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(regex.toString(), Pattern.DOTALL);
    }
}
