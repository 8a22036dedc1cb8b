package io.mppbroker.dashboard;

import io.mppbroker.api.ProblemJson;
import io.vertx.core.http.HttpServerRequest;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Response;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/** Refuses state-changing dashboard requests that do not come from the broker's own pages (see {@link SameOrigin}). */
public class CrossSiteFilter {

    private static final Set<String> SAFE = Set.of("GET", "HEAD", "OPTIONS");

    private final SameOrigin sameOrigin;

    public CrossSiteFilter(SameOrigin sameOrigin) {
        this.sameOrigin = sameOrigin;
    }

    @ServerRequestFilter
    public Optional<Response> refuseCrossSite(ContainerRequestContext context, HttpServerRequest request) {
        String path = context.getUriInfo().getPath();
        if (!path.startsWith("/dashboard/") || SAFE.contains(context.getMethod()) || sameOrigin.allows(request)) {
            return Optional.empty();
        }
        return Optional.of(ProblemJson.response(403, "cross-site-request", "Cross-site request refused",
                "dashboard requests that change something must come from the dashboard page itself (Origin "
                        + request.getHeader("Origin") + " is not this broker)", Map.of()));
    }
}
