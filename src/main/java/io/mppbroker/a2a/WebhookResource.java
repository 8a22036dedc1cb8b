package io.mppbroker.a2a;

import io.mppbroker.api.ApiProblem;
import io.mppbroker.auth.Callers;
import io.mppbroker.policy.AgentIdentity;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.util.LinkedHashSet;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** REST webhooks for agents that do not speak A2A: the same deliveries, retries and SSRF guard as A2A pushes. */
@Path("/v1/webhooks")
@Produces(MediaType.APPLICATION_JSON)
@Blocking
@Tag(name = "Webhooks", description = "Agents are told when a grant is ready or a payment was decided")
public class WebhookResource {

    private final Callers callers;
    private final PushTargets targets;

    public WebhookResource(Callers callers, PushTargets targets) {
        this.callers = callers;
        this.targets = targets;
    }

    /** {@code token}, when given, is sent as {@code Authorization: Bearer <token>} with each event; never shown back. */
    public record WebhookCommand(String url, List<String> events, String token) {}

    public record WebhookView(String id, String url, List<String> events, boolean hasToken, String createdAt) {

        static WebhookView of(PushTarget t) {
            return new WebhookView(t.id, t.url, t.eventList(), t.authCredentials != null, t.createdAt.toString());
        }
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Register a webhook for grant_ready and/or payment_decided events of the calling agent")
    public Response create(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, WebhookCommand command) {
        AgentIdentity agent = callers.agent(authorization);
        if (command == null || command.url() == null) {
            throw ApiProblem.badRequest("body must be {\"url\",\"events\":[\"grant_ready\",\"payment_decided\"],\"token\"?}");
        }
        if (command.events() == null || command.events().isEmpty()
                || !AgentEvent.TYPES.containsAll(command.events())) {
            throw ApiProblem.badRequest("events must list one or more of " + AgentEvent.TYPES);
        }
        if (command.token() != null && (command.token().isBlank() || command.token().length() > 4096
                || command.token().chars().anyMatch(c -> c < 0x21 || c == 0x7f))) {
            throw ApiProblem.badRequest("token is 1 to 4096 printable characters without spaces");
        }
        PushTarget t;
        try {
            t = targets.createWebhook(agent, new PushTargets.Spec(command.url(), command.token(), null, null,
                    List.copyOf(new LinkedHashSet<>(command.events()))));
        } catch (PushUrlGuard.Refused e) {
            throw new ApiProblem(400, "webhook-url-refused", "Webhook URL refused", e.getMessage());
        }
        return Response.created(URI.create("/v1/webhooks/" + t.id)).entity(WebhookView.of(t)).build();
    }

    @GET
    @Operation(summary = "The calling agent's webhooks")
    public List<WebhookView> list(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization) {
        return targets.webhooks(callers.agent(authorization)).stream().map(WebhookView::of).toList();
    }

    @DELETE
    @Path("/{id}")
    @Operation(summary = "Remove a webhook; nothing more is sent to it, not even events already queued")
    public Response delete(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, @PathParam("id") String id) {
        if (!targets.delete(callers.agent(authorization), PushTarget.Kind.WEBHOOK, id)) {
            throw ApiProblem.notFound("no webhook " + id);
        }
        return Response.noContent().build();
    }
}
