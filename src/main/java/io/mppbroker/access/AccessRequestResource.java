package io.mppbroker.access;

import io.mppbroker.auth.Callers;
import io.mppbroker.events.Changes;
import io.mppbroker.events.HoldReads;
import io.mppbroker.payment.PaymentResource;
import io.mppbroker.payment.PaymentsConfig;
import io.mppbroker.policy.AgentIdentity;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** Agents ask for access they were denied; approvers decide on {@code /v1/approvals}. See docs/access-requests.md. */
@Path("/v1/access-requests")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Access", description = "Deny-by-default access grants")
public class AccessRequestResource {

    private final AccessRequestService requests;
    private final Callers callers;
    private final Changes changes;
    private final PaymentsConfig payments;
    private final HoldReads holdReads;

    public AccessRequestResource(AccessRequestService requests, Callers callers, Changes changes, PaymentsConfig payments,
                                 HoldReads holdReads) {
        this.requests = requests;
        this.callers = callers;
        this.changes = changes;
        this.payments = payments;
        this.holdReads = holdReads;
    }

    @POST
    @Blocking
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Ask for access (agent token)",
            description = "{justification, action?, actions?, resource?, ttl?, context?}. Without action, the agent's most "
                    + "recent denial gives action and resource. 201 with the request, its least-privilege proposal and "
                    + "the policy diff; approvers are asked through the project's routing (routing.access). An Idempotency-Key "
                    + "makes a resent request answer the first one (201 with it) instead of asking again.")
    public Response submit(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
                           @HeaderParam("Idempotency-Key") String idempotencyKey, SubmitAccessRequest body) {
        AgentIdentity agent = callers.agent(authorization);
        AccessRequestView view = requests.submit(agent, body, idempotencyKey);
        return Response.created(URI.create("/v1/access-requests/" + view.id())).entity(view).build();
    }

    @GET
    @Path("/{id}")
    @Operation(summary = "Read an access request; Prefer: wait=N or ?wait=N holds the call until it is decided")
    public Uni<Response> get(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, @PathParam("id") String id,
                             @HeaderParam("Prefer") String prefer, @QueryParam("wait") Integer waitSeconds) {
        Integer asked = waitSeconds != null ? waitSeconds : PaymentResource.preferredWait(prefer).orElse(null);
        Duration wait = PaymentResource.waitFor(asked, payments); // the same limits as payments
        Instant deadline = Instant.now().plus(wait);
        return Uni.createFrom().item(() -> callers.any(authorization)) // a hash and a map look-up: no thread hop
                .flatMap(caller -> hold(id, caller, deadline))
                .map(view -> {
                    Response.ResponseBuilder r = Response.ok(view);
                    if (!wait.isZero()) r.header("Preference-Applied", "wait=" + wait.toSeconds());
                    return r.build();
                });
    }

    @DELETE
    @Path("/{id}")
    @Blocking
    @Operation(summary = "Withdraw a pending access request (the agent that made it)")
    public AccessRequestView withdraw(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, @PathParam("id") String id) {
        return requests.withdraw(callers.agent(authorization), id);
    }

    /** Holds without a thread until the request is no longer pending or the deadline passes. */
    private Uni<AccessRequestView> hold(String id, Callers.Caller caller, Instant deadline) {
        Duration left = Duration.between(Instant.now(), deadline);
        // Register for the wake-up before reading, so a change in between is not missed.
        Uni<Void> change = left.isNegative() || left.isZero() ? null : changes.nextChange(id, left);
        return Uni.createFrom().item(() -> requests.view(caller, id))
                .runSubscriptionOn(holdReads.executor())
                .flatMap(view -> change == null || !"pending".equals(view.status()) ? Uni.createFrom().item(view)
                        : change.flatMap(ignored -> hold(id, caller, deadline)));
    }
}
