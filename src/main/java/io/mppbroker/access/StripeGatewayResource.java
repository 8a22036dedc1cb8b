package io.mppbroker.access;

import io.mppbroker.api.ApiProblem;
import io.mppbroker.auth.Callers;
import io.mppbroker.policy.AgentIdentity;
import io.mppbroker.spt.SptDropIn;
import io.mppbroker.stripe.StripeConfig;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.logging.Logger;

/**
 * Stripe API gateway: agents call {@code /stripe/v1/...} with their own bearer token; the broker maps the call
 * to an action ({@link StripeActions}), checks the project's grants and forwards allowed calls to Stripe with the
 * broker's secret key, which agents never see. Stripe's status, body and headers come back unchanged.
 */
@Path("/stripe/v1/{path: .+}")
@Blocking
@Tag(name = "Stripe gateway", description = "Stripe's API behind the project's access grants")
public class StripeGatewayResource {

    private static final Logger LOG = Logger.getLogger(StripeGatewayResource.class);
    /** Request headers the agent may pass on to Stripe; Authorization is always the broker's own. */
    private static final List<String> FORWARDED_REQUEST = List.of("Stripe-Version", "Idempotency-Key", "Content-Type", "Accept");
    /** Hop-by-hop headers (RFC 9110 7.6.1) and the length, which the broker's server sets itself. */
    private static final Set<String> NOT_RETURNED = Set.of("connection", "keep-alive", "proxy-authenticate",
            "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "content-length");

    private final Callers callers;
    private final AccessService access;
    private final StripeConfig stripe;
    private final HttpClient http;
    private final SptDropIn dropIn;

    public StripeGatewayResource(Callers callers, AccessService access, StripeConfig stripe, SptDropIn dropIn) {
        this.dropIn = dropIn;
        this.callers = callers;
        this.access = access;
        this.stripe = stripe;
        this.http = HttpClient.newBuilder().connectTimeout(stripe.timeout()).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    @GET
    @Operation(summary = "Read through the gateway (stripe:<type>:read)")
    public Response get(@PathParam("path") String path, @Context UriInfo uri, @Context HttpHeaders headers) {
        return call("GET", uri, headers, null);
    }

    @POST
    @Operation(summary = "Write through the gateway (stripe:<type>:write); SPT mints are the broker's own (docs/spt-drop-in.md)",
            description = "POST shared_payment/issued_tokens and test_helpers/shared_payment/granted_tokens are not forwarded: "
                    + "the payment policy decides and the broker mints with its own key (SPT drop-in for mppx clients).")
    public Uni<Response> post(@PathParam("path") String path, @Context UriInfo uri, @Context HttpHeaders headers, byte[] body) {
        String apiPath = apiPath(uri);
        if (SptDropIn.handles("POST", apiPath)) {
            return dropIn.mint(apiPath, headers, body);
        }
        return Uni.createFrom().item(call("POST", uri, headers, body));
    }

    @DELETE
    @Operation(summary = "Delete through the gateway (stripe:<type>:write)")
    public Response delete(@PathParam("path") String path, @Context UriInfo uri, @Context HttpHeaders headers) {
        return call("DELETE", uri, headers, null);
    }

    private static String apiPath(UriInfo uri) {
        String rawPath = uri.getRequestUri().getRawPath();
        return rawPath.substring(rawPath.indexOf("/stripe/v1/") + "/stripe/v1/".length());
    }

    private Response call(String method, UriInfo uri, HttpHeaders headers, byte[] body) {
        AgentIdentity agent = callers.agent(headers.getHeaderString(HttpHeaders.AUTHORIZATION));
        String apiPath = apiPath(uri);
        AccessRequest request = StripeActions.of(method, apiPath)
                .orElseThrow(() -> ApiProblem.notFound("not a Stripe API path the gateway forwards: /v1/" + apiPath));
        AccessService.Checked checked = access.check(agent, request);
        if (!checked.decision().allowed()) {
            access.record(agent, request, checked, 403);
            throw AccessService.denied(request, checked.decision());
        }
        String key = stripe.secretKey().filter(k -> !k.isBlank()).orElse(null);
        if (key == null) {
            access.record(agent, request, checked, 503);
            throw new ApiProblem(503, "stripe-not-configured", "Service unavailable", "the broker has no Stripe secret key");
        }
        String query = uri.getRequestUri().getRawQuery();
        HttpRequest.Builder out = HttpRequest.newBuilder(URI.create(stripe.apiBase() + "/v1/" + apiPath + (query == null ? "" : "?" + query)))
                .timeout(stripe.timeout())
                .header("Authorization", "Bearer " + key)
                .method(method, body == null || body.length == 0 ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        for (String name : FORWARDED_REQUEST) {
            String value = headers.getHeaderString(name);
            if (value != null) out.header(name, value);
        }
        HttpResponse<byte[]> answer;
        try {
            answer = http.send(out.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            LOG.warnf("Stripe gateway: %s /v1/%s failed: %s", method, apiPath, e.getClass().getSimpleName());
            access.record(agent, request, checked, 502);
            throw new ApiProblem(502, "stripe-unreachable", "Bad gateway", "Stripe could not be reached: " + e.getClass().getSimpleName());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiProblem(503, "interrupted", "Service unavailable", "the broker is shutting down");
        }
        access.record(agent, request, checked, answer.statusCode());
        Response.ResponseBuilder back = Response.status(answer.statusCode()).entity(answer.body());
        answer.headers().map().forEach((name, values) -> {
            if (name.startsWith(":") || NOT_RETURNED.contains(name.toLowerCase(Locale.ROOT))) return;
            for (String v : values) back.header(name, v);
        });
        return back.build();
    }
}
