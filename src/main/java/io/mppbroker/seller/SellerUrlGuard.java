package io.mppbroker.seller;

import io.mppbroker.api.ApiProblem;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Refuses agent-supplied URLs that would make the broker a proxy into private networks (SSRF) or send a
 * payment credential in clear text. Hosts in {@code broker.sellers.insecure-hosts} are exempt.
 */
@ApplicationScoped
public class SellerUrlGuard {

    private final Set<String> insecureHosts;

    public SellerUrlGuard(SellerConfig config) {
        this.insecureHosts = config.insecureHosts().orElse(List.of()).stream()
                .map(h -> h.strip().toLowerCase(Locale.ROOT))
                .filter(h -> !h.isEmpty())
                .collect(Collectors.toUnmodifiableSet());
    }

    public URI check(String url) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (Exception e) {
            throw ApiProblem.badRequest("request.url is not a valid URL");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("https") && !scheme.equals("http")) {
            throw ApiProblem.badRequest("request.url must be an http(s) URL");
        }
        String host = uri.getHost();
        if (host == null || host.isEmpty()) {
            throw ApiProblem.badRequest("request.url has no host");
        }
        if (uri.getUserInfo() != null) {
            throw ApiProblem.badRequest("request.url must not carry user information");
        }
        String normalizedHost = host.toLowerCase(Locale.ROOT);
        if (isInsecureAllowed(normalizedHost)) {
            return uri;
        }
        if (scheme.equals("http")) {
            throw ApiProblem.forbidden("insecure-seller",
                    "payment credentials are only sent over https; " + host + " is not in broker.sellers.insecure-hosts");
        }
        InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(stripBrackets(host));
        } catch (UnknownHostException e) {
            throw new ApiProblem(502, "seller-unresolvable", "Seller unreachable", "cannot resolve seller host " + host);
        }
        for (InetAddress address : addresses) {
            if (isInternal(address)) {
                throw ApiProblem.forbidden("seller-address-refused",
                        "seller host " + host + " resolves to a private, loopback, link-local or metadata address");
            }
        }
        return uri;
    }

    public boolean isInsecureAllowed(String host) {
        return insecureHosts.contains(host.toLowerCase(Locale.ROOT));
    }

    /** Private, loopback, link-local, metadata, multicast or reserved: never reachable from the internet. */
    public static boolean isInternal(InetAddress a) {
        if (a.isAnyLocalAddress() || a.isLoopbackAddress() || a.isLinkLocalAddress() || a.isSiteLocalAddress()
                || a.isMulticastAddress()) {
            return true;
        }
        byte[] b = a.getAddress();
        if (b.length == 4) {
            int first = b[0] & 0xff;
            int second = b[1] & 0xff;
            return first == 0                                   // "this" network
                    || (first == 100 && second >= 64 && second <= 127) // carrier-grade NAT
                    || (first == 169 && second == 254)          // link-local, cloud metadata
                    || (first == 192 && second == 0 && (b[2] & 0xff) == 0)
                    || (first == 198 && (second == 18 || second == 19))
                    || first >= 240;
        }
        // IPv6 unique local fc00::/7, and IPv4-mapped addresses checked as IPv4.
        if ((b[0] & 0xfe) == 0xfc) {
            return true;
        }
        boolean mapped = true;
        for (int i = 0; i < 10; i++) {
            mapped &= b[i] == 0;
        }
        if (mapped && (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff) {
            try {
                return isInternal(InetAddress.getByAddress(new byte[] {b[12], b[13], b[14], b[15]}));
            } catch (UnknownHostException e) {
                return true;
            }
        }
        return false;
    }

    private static String stripBrackets(String host) {
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }
}
