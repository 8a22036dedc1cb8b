package io.mppbroker.payment;

import io.mppbroker.api.ProblemJson;
import io.mppbroker.auth.Callers;
import io.mppbroker.policy.AgentIdentity;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
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
import java.util.LinkedHashMap;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/v1/payments")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Payments", description = "Agents fetch paid resources through the broker")
public class PaymentResource {

    private final PaymentService payments;
    private final Callers callers;
    private final PaymentUpdates updates;
    private final PaymentsConfig config;

    public PaymentResource(PaymentService payments, Callers callers, PaymentUpdates updates, PaymentsConfig config) {
        this.payments = payments;
        this.callers = callers;
        this.updates = updates;
        this.config = config;
    }

    @POST
    @Blocking
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Fetch a resource, paying its MPP challenge if the project's policy allows",
            description = "200 paid or not_required; 202 pending_approval (Location to poll); 403 denied (problem+json); "
                    + "502 failed; 504 charged_not_delivered.")
    public Response create(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
                           @HeaderParam("Idempotency-Key") String idempotencyKey,
                           PaymentCommand command) {
        AgentIdentity agent = callers.agent(authorization);
        Payment payment = payments.submit(agent, command, idempotencyKey, config.maxWait());
        return outcome(payments.view(payment));
    }

    @GET
    @Path("/{id}")
    @Operation(summary = "Read a payment; with ?wait=SECONDS, hold the call until its state changes")
    public Uni<Response> get(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
                             @PathParam("id") String id,
                             @QueryParam("wait") Integer waitSeconds) {
        Duration wait = waitFor(waitSeconds);
        return Uni.createFrom().item(() -> {
                    Callers.Caller caller = callers.any(authorization);
                    // Register for the wake-up before reading, so a change in between is not missed.
                    Uni<Void> change = wait.isZero() ? null : updates.nextChange(id, wait);
                    return new Read(caller, payments.view(id, caller), change);
                })
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
                .flatMap(read -> {
                    if (read.change() == null || isFinal(read.view())) {
                        return Uni.createFrom().item(read.view());
                    }
                    return read.change()
                            .emitOn(Infrastructure.getDefaultWorkerPool())
                            .map(ignored -> payments.view(id, read.caller()));
                })
                .map(PaymentResource::state);
    }

    @DELETE
    @Path("/{id}")
    @Blocking
    @Operation(summary = "Withdraw a payment that is still waiting for a human")
    public Response withdraw(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, @PathParam("id") String id) {
        AgentIdentity agent = callers.agent(authorization);
        return state(payments.view(payments.withdraw(agent, id)));
    }

    private record Read(Callers.Caller caller, PaymentView view, Uni<Void> change) {}

    private Duration waitFor(Integer seconds) {
        if (seconds == null || seconds <= 0) {
            return Duration.ZERO;
        }
        Duration wanted = Duration.ofSeconds(seconds);
        return wanted.compareTo(config.maxWait()) > 0 ? config.maxWait() : wanted;
    }

    private static boolean isFinal(PaymentView view) {
        return PaymentStatus.valueOf(view.status().toUpperCase()).isFinal();
    }

    /** GET answers the state: 200 once final, 202 while a human or the broker is still working on it. */
    static Response state(PaymentView view) {
        if (isFinal(view)) {
            return Response.ok(view).build();
        }
        return Response.accepted(view).location(URI.create("/v1/payments/" + view.id())).header("Retry-After", "2").build();
    }

    /** POST answers the outcome: refusals and failures are problems, with the payment's id to look it up. */
    static Response outcome(PaymentView view) {
        Map<String, Object> ext = new LinkedHashMap<>();
        ext.put("payment_id", view.id());
        ext.put("status", view.status());
        return switch (PaymentStatus.valueOf(view.status().toUpperCase())) {
            case PAID, NOT_REQUIRED, WITHDRAWN -> Response.ok(view).build();
            case PROCESSING, PENDING_APPROVAL, APPROVED -> state(view);
            case DENIED -> {
                if (view.decision() != null) {
                    ext.put("decision_id", view.decision().id());
                    ext.put("rule", view.decision().rule());
                    ext.put("tier", view.decision().tier());
                }
                yield ProblemJson.response(403, "payment-denied", "Payment denied",
                        view.decision() == null ? "denied" : view.decision().reason(), ext);
            }
            case FAILED -> {
                ext.put("failure_code", view.failure() == null ? null : view.failure().code());
                yield ProblemJson.response(502, "payment-failed", "Payment failed",
                        view.failure() == null ? "the payment failed" : view.failure().detail(), ext);
            }
            case CHARGED_NOT_DELIVERED -> ProblemJson.response(504, "charged-not-delivered", "Charged, not delivered",
                    view.failure() == null ? "the seller did not answer after payment" : view.failure().detail(), ext);
        };
    }

}
