package io.mppbroker.a2a;

import io.mppbroker.access.AccessPatterns;
import io.mppbroker.seller.SellerUrlGuard;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;

/**
 * Keeps agent-supplied webhook URLs from turning the broker into a proxy into private networks (SSRF, A2A §13.2):
 * the host must match {@code broker.a2a.push.allowed-hosts}, use https, and resolve to public addresses only,
 * unless it matches {@code broker.a2a.push.private-hosts}. Checked when the URL is registered and again before
 * every delivery (DNS may have changed since).
 */
@ApplicationScoped
public class PushUrlGuard {

    private final List<String> allowedHosts;
    private final List<String> privateHosts;

    public PushUrlGuard(A2aConfig config) {
        this.allowedHosts = normalize(config.push().allowedHosts());
        this.privateHosts = normalize(config.push().privateHosts().orElse(List.of()));
    }

    /** The URL a push may go to; {@link Refused} says why not. */
    public URI check(String url) {
        if (url == null || url.isBlank() || url.length() > 2048) {
            throw new Refused("url is required (at most 2048 characters)");
        }
        URI uri;
        try {
            uri = new URI(url.strip());
        } catch (Exception e) {
            throw new Refused("url is not a valid URL");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("https") && !scheme.equals("http")) {
            throw new Refused("url must be an http(s) URL");
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw new Refused("url has no host");
        }
        if (uri.getUserInfo() != null) {
            throw new Refused("url must not carry user information");
        }
        String host = bare(uri.getHost().toLowerCase(Locale.ROOT));
        if (allowedHosts.stream().noneMatch(glob -> AccessPatterns.glob(glob, host))) {
            throw new Refused("host " + host + " is not in broker.a2a.push.allowed-hosts");
        }
        boolean privateAllowed = privateHosts.stream().anyMatch(glob -> AccessPatterns.glob(glob, host));
        if (!privateAllowed && scheme.equals("http")) {
            throw new Refused("pushes carry tokens and go over https only; " + host + " is not in broker.a2a.push.private-hosts");
        }
        InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(host);
        } catch (UnknownHostException e) {
            throw new Refused("cannot resolve host " + host);
        }
        if (!privateAllowed) {
            for (InetAddress address : addresses) {
                if (SellerUrlGuard.isInternal(address)) {
                    throw new Refused("host " + host + " resolves to " + address.getHostAddress()
                            + ", a private, loopback, link-local or metadata address");
                }
            }
        }
        return uri;
    }

    private static String bare(String host) {
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    private static List<String> normalize(List<String> globs) {
        return globs.stream().map(g -> g.strip().toLowerCase(Locale.ROOT)).filter(g -> !g.isEmpty()).toList();
    }

    /** The reason names the host and the setting, never the URL's path or query (they may carry a secret). */
    public static class Refused extends RuntimeException {
        public Refused(String reason) {
            super(reason);
        }
    }
}
