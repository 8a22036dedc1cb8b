package io.mppbroker.policy;

import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One entry of {@code sellers.allow} / {@code sellers.deny}, in one of four forms:
 * <ul>
 *   <li>{@code api.example.com} — the seller host, exactly (case-insensitive, port ignored);</li>
 *   <li>{@code *.example.com} — any host below example.com, at any depth, but not example.com itself;</li>
 *   <li>{@code realm:<text>} — the challenge's realm, exactly (case-sensitive);</li>
 *   <li>{@code profile_...} — the seller's Stripe network business profile id, exactly.</li>
 * </ul>
 */
public record SellerPattern(Kind kind, String value, String text) {
    public enum Kind { HOST, HOST_SUFFIX, REALM, NETWORK_PROFILE }

    private static final String REALM_PREFIX = "realm:";
    private static final Pattern LABEL = Pattern.compile("[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?");
    private static final Pattern PROFILE = Pattern.compile("profile_[A-Za-z0-9]+");
    private static final Pattern IPV6_LITERAL = Pattern.compile("\\[[0-9a-f:.]+]");

    public SellerPattern {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(text, "text");
    }

    /**
     * Parses a pattern as written in a policy file.
     *
     * @throws IllegalArgumentException with a message fit for a validation error
     */
    public static SellerPattern parse(String text) {
        if (text.startsWith(REALM_PREFIX)) {
            String realm = text.substring(REALM_PREFIX.length());
            if (realm.isEmpty()) throw new IllegalArgumentException("\"realm:\" needs the realm after the colon");
            return new SellerPattern(Kind.REALM, realm, text);
        }
        if (text.startsWith("profile_")) {
            if (!PROFILE.matcher(text).matches()) {
                throw new IllegalArgumentException("\"" + text + "\" is not a Stripe network profile id (profile_ followed by letters and digits)");
            }
            return new SellerPattern(Kind.NETWORK_PROFILE, text, text);
        }
        String lower = text.toLowerCase(Locale.ROOT);
        if (lower.startsWith("*.")) {
            String suffix = lower.substring(2);
            checkHost(text, suffix);
            return new SellerPattern(Kind.HOST_SUFFIX, "." + suffix, text);
        }
        checkHost(text, lower);
        return new SellerPattern(Kind.HOST, lower, text);
    }

    private static void checkHost(String text, String host) {
        if (host.contains("*")) {
            throw new IllegalArgumentException("\"" + text + "\": '*' is only allowed as the whole leftmost label, e.g. *.example.com");
        }
        if (host.contains("/") || host.contains("://")) {
            throw new IllegalArgumentException("\"" + text + "\": write a host name, not a URL");
        }
        if (IPV6_LITERAL.matcher(host).matches()) return;
        if (host.contains(":")) {
            throw new IllegalArgumentException("\"" + text + "\": write the host without a port (ports are ignored when matching)");
        }
        if (host.isEmpty() || host.length() > 253) {
            throw new IllegalArgumentException("\"" + text + "\" is not a host name");
        }
        for (String label : host.split("\\.", -1)) {
            if (label.length() > 63 || !LABEL.matcher(label).matches()) {
                throw new IllegalArgumentException("\"" + text + "\" is not a host name, a *.domain wildcard, realm:<realm> or profile_<id>");
            }
        }
    }

    public boolean matches(String sellerHost, String realm, Optional<String> networkProfile) {
        return switch (kind) {
            case HOST -> value.equals(normalizeHost(sellerHost));
            case HOST_SUFFIX -> {
                String host = normalizeHost(sellerHost);
                yield host.endsWith(value) && host.length() > value.length();
            }
            case REALM -> value.equals(realm);
            case NETWORK_PROFILE -> networkProfile.map(value::equals).orElse(false);
        };
    }

    /** Lower-cases a host and drops a trailing dot and a port ("API.Example.com.:8443" -> "api.example.com"). */
    public static String normalizeHost(String host) {
        if (host == null) return "";
        String h = host.trim().toLowerCase(Locale.ROOT);
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            return end > 0 ? h.substring(0, end + 1) : h;
        }
        int colon = h.indexOf(':');
        if (colon >= 0 && colon == h.lastIndexOf(':')) h = h.substring(0, colon);
        if (h.endsWith(".")) h = h.substring(0, h.length() - 1);
        return h;
    }

    @Override
    public String toString() {
        return text;
    }
}
