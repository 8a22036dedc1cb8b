package io.mppbroker.dashboard;

import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.HostAndPort;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.URI;
import java.util.List;
import java.util.Locale;

/**
 * The dashboard's defence against cross-site request forgery, besides its SameSite=Strict session cookie:
 * a state-changing request (the login POST, decisions, logout) must come from a page of the broker itself.
 * Browsers send {@code Origin} on every POST; it must name the host the request was sent to, or one of
 * {@code broker.dashboard.allowed-origins}. Requests without an {@code Origin} are refused unless the
 * browser marks them {@code Sec-Fetch-Site: same-origin}.
 */
@ApplicationScoped
public class SameOrigin {

    private final List<String> allowed;

    public SameOrigin(DashboardConfig config) {
        this.allowed = config.allowedOrigins().orElse(List.of()).stream()
                .map(o -> stripSlash(o.strip()).toLowerCase(Locale.ROOT)).toList();
    }

    public boolean allows(HttpServerRequest request) {
        HostAndPort authority = request.authority();
        String host = authority == null ? request.getHeader("Host")
                : authority.host() + (authority.port() >= 0 ? ":" + authority.port() : "");
        return allows(request.getHeader("Origin"), request.getHeader("Sec-Fetch-Site"), host);
    }

    boolean allows(String origin, String secFetchSite, String host) {
        if (origin == null || origin.isBlank()) {
            return "same-origin".equalsIgnoreCase(secFetchSite);
        }
        String o = stripSlash(origin.strip()).toLowerCase(Locale.ROOT);
        if (allowed.contains(o)) {
            return true;
        }
        if (host == null || o.equals("null")) {
            return false;
        }
        try {
            URI uri = URI.create(o);
            if (uri.getHost() == null || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
                return false;
            }
            String originAuthority = uri.getHost() + (uri.getPort() >= 0 ? ":" + uri.getPort() : "");
            return originAuthority.equals(host.toLowerCase(Locale.ROOT))
                    || originAuthority.equals(withoutDefaultPort(host.toLowerCase(Locale.ROOT), uri.getScheme()));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** "broker.example:443" behind https and "broker.example:80" behind http are the origin without a port. */
    private static String withoutDefaultPort(String host, String scheme) {
        String suffix = "https".equals(scheme) ? ":443" : ":80";
        return host.endsWith(suffix) ? host.substring(0, host.length() - suffix.length()) : host;
    }

    private static String stripSlash(String s) {
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }
}
