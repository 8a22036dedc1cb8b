package io.mppbroker.payment;

import io.mppbroker.api.ProblemJson;
import io.mppbroker.auth.Callers;
import io.mppbroker.events.Changes;
import io.mppbroker.events.HoldReads;
import io.mppbroker.policy.AgentIdentity;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.smallrye.mutiny.subscription.MultiEmitter;
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
import java.util.LinkedHashMap;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.RestStreamElementType;

@Path("/v1/payments")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Payments", description = "Agents fetch paid resources through the broker")
public class PaymentResource {

    private final PaymentService payments;
    private final Callers callers;
    private final Changes updates;
    private final PaymentsConfig config;
    private final HoldReads holdReads;

    public PaymentResource(PaymentService payments, Callers callers, Changes updates, PaymentsConfig config,
                           HoldReads holdReads) {
        this.payments = payments;
        this.callers = callers;
        this.updates = updates;
        this.config = config;
        this.holdReads = holdReads;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Fetch a resource, paying its MPP challenge if the project's policy allows",
            description = "200 paid or not_required; 202 pending_approval (Location to poll); 403 denied (problem+json); "
                    + "502 failed; 504 charged_not_delivered. With `Prefer: wait=N` (RFC 7240) a payment that needs a "
                    + "human is held open up to N seconds (at most broker.payments.max-wait) for the decision.")
    public Uni<Response> create(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
                                @HeaderParam("Idempotency-Key") String idempotencyKey,
                                @HeaderParam("Prefer") String prefer,
                                PaymentCommand command) {
        Duration wait = waitFor(preferredWait(prefer).orElse((int) config.defaultWait().toSeconds()));
        Instant deadline = Instant.now().plus(wait);
        // Fetching, deciding and paying block (seller, Stripe, PostgreSQL): worker thread. Holding does not.
        return Uni.createFrom().item(() -> {
                    AgentIdentity agent = callers.agent(authorization);
                    PaymentView view = payments.submit(agent, command, idempotencyKey, config.maxWait());
                    return new Submitted(new Callers.Caller(java.util.Optional.of(agent), java.util.Optional.empty()), view);
                })
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
                .flatMap(s -> isFinal(s.view()) || wait.isZero() ? Uni.createFrom().item(s.view())
                        : hold(s.view().id(), s.caller(), deadline, startApproval(s.view())))
                .map(view -> {
                    Response r = outcome(view);
                    return wait.isZero() ? r : Response.fromResponse(r).header("Preference-Applied", "wait=" + wait.toSeconds()).build();
                });
    }

    private record Submitted(Callers.Caller caller, PaymentView view) {}

    /** {@code Prefer: wait=N} (RFC 7240 §4.3); other preferences are ignored. */
    public static java.util.Optional<Integer> preferredWait(String prefer) {
        if (prefer == null) {
            return java.util.Optional.empty();
        }
        for (String part : prefer.split(",")) {
            String p = part.strip().toLowerCase(java.util.Locale.ROOT);
            if (p.startsWith("wait=")) {
                try {
                    return java.util.Optional.of(Math.max(0, Integer.parseInt(p.substring(5).strip())));
                } catch (NumberFormatException e) {
                    return java.util.Optional.empty();
                }
            }
        }
        return java.util.Optional.empty();
    }

    private static String startApproval(PaymentView view) {
        return PaymentStatus.PENDING_APPROVAL.wire().equals(view.status()) && view.approval() != null ? view.approval().id() : "";
    }

    @GET
    @Path("/{id}/events")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @RestStreamElementType(MediaType.APPLICATION_JSON)
    @Operation(summary = "Server-sent events: the payment's state now and at every change, until it is final")
    public Multi<PaymentView> events(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, @PathParam("id") String id) {
        // The caller is a hash and a map look-up: no thread hop; the reads go to HoldReads.
        return Multi.createFrom().emitter(emitter -> Uni.createFrom().item(() -> callers.any(authorization))
                .subscribe().with(caller -> stream(id, caller, emitter, null), emitter::fail));
    }

    /** Emits each new state; waits for changes without a thread, re-reading at least every 25 s. */
    private void stream(String id, Callers.Caller caller, MultiEmitter<? super PaymentView> emitter, String lastSeen) {
        if (emitter.isCancelled()) {
            return;
        }
        Uni<Void> change = updates.nextChange(id, Duration.ofSeconds(25));
        Uni.createFrom().item(() -> payments.view(id, caller))
                .runSubscriptionOn(holdReads.executor())
                .subscribe().with(view -> {
                    String seen = view.status() + "|" + view.updatedAt();
                    if (!seen.equals(lastSeen)) {
                        emitter.emit(view);
                    }
                    if (isFinal(view)) {
                        emitter.complete();
                    } else {
                        change.subscribe().with(ignored -> stream(id, caller, emitter, seen), emitter::fail);
                    }
                }, emitter::fail);
    }

    @GET
    @Path("/{id}")
    @Operation(summary = "Read a payment; with ?wait=SECONDS, hold the call until it is final or needs a new human decision")
    public Uni<Response> get(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
                             @PathParam("id") String id,
                             @QueryParam("wait") Integer waitSeconds) {
        Instant deadline = Instant.now().plus(waitFor(waitSeconds));
        return Uni.createFrom().item(() -> callers.any(authorization)) // a hash and a map look-up: no thread hop
                .flatMap(caller -> hold(id, caller, deadline, null))
                .map(PaymentResource::state);
    }

    /**
     * Holds without a thread: re-reads the payment on each wake-up until it is final, or parked on an approval
     * other than the one it was parked on when the call started (the "approved" step in between is skipped).
     */
    private Uni<PaymentView> hold(String id, Callers.Caller caller, Instant deadline, String startApproval) {
        Duration left = Duration.between(Instant.now(), deadline);
        // Register for the wake-up before reading, so a change in between is not missed.
        Uni<Void> change = left.isNegative() || left.isZero() ? null : updates.nextChange(id, left);
        return Uni.createFrom().item(() -> payments.view(id, caller))
                .runSubscriptionOn(holdReads.executor())
                .flatMap(view -> {
                    String approvalNow = view.approval() == null ? null : view.approval().id();
                    String firstApproval = startApproval != null ? startApproval
                            : PaymentStatus.PENDING_APPROVAL.wire().equals(view.status()) ? approvalNow : "";
                    boolean newQuestion = PaymentStatus.PENDING_APPROVAL.wire().equals(view.status())
                            && !approvalNow.equals(firstApproval);
                    if (change == null || isFinal(view) || newQuestion) {
                        return Uni.createFrom().item(view);
                    }
                    return change.flatMap(ignored -> hold(id, caller, deadline, firstApproval));
                });
    }

    @POST
    @Path("/{id}/receipt")
    @Consumes(MediaType.APPLICATION_JSON)
    @Blocking
    @Operation(summary = "Report the seller's Payment-Receipt for your own payment (SPT drop-in)",
            description = "Links the seller's PaymentIntent id (the receipt's reference) to the payment and its decision; "
                    + "a minted token becomes paid. Body: {\"receipt\": \"<Payment-Receipt header>\"} or its fields "
                    + "{\"reference\", \"method\", \"status\", \"timestamp\"}.")
    public Response receipt(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, @PathParam("id") String id,
                            ReportedReceipt receipt) {
        AgentIdentity agent = callers.agent(authorization);
        return Response.ok(payments.view(payments.linkReceipt(agent, id, receipt))).build();
    }

    @POST
    @Path("/receipts")
    @Consumes(MediaType.APPLICATION_JSON)
    @Blocking
    @Operation(summary = "Report a seller's receipt for the payment that minted the given token",
            description = "As /{id}/receipt, with the payment named by its token: {\"spt\": \"spt_...\", \"receipt\": ...}.")
    public Response receiptBySpt(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, ReportedReceipt receipt) {
        AgentIdentity agent = callers.agent(authorization);
        if (receipt == null || receipt.spt() == null || receipt.spt().isBlank()) {
            throw io.mppbroker.api.ApiProblem.badRequest("spt is required: the token the broker minted for you");
        }
        return Response.ok(payments.view(payments.linkReceipt(agent, null, receipt))).build();
    }

    @DELETE
    @Path("/{id}")
    @Blocking
    @Operation(summary = "Withdraw a payment that is still waiting for a human")
    public Response withdraw(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, @PathParam("id") String id) {
        AgentIdentity agent = callers.agent(authorization);
        return state(payments.view(payments.withdraw(agent, id)));
    }

    /** Agent tool calls time out near 60 s: no configuration may hold a request longer than this. */
    static final Duration HARD_MAX_WAIT = Duration.ofSeconds(55);

    private Duration waitFor(Integer seconds) {
        return waitFor(seconds, config);
    }

    /** How long a call asking to wait {@code seconds} is held: at most broker.payments.max-wait, never above 55 s. */
    public static Duration waitFor(Integer seconds, PaymentsConfig config) {
        if (seconds == null || seconds <= 0) {
            return Duration.ZERO;
        }
        Duration max = config.maxWait().compareTo(HARD_MAX_WAIT) > 0 ? HARD_MAX_WAIT : config.maxWait();
        Duration wanted = Duration.ofSeconds(seconds);
        return wanted.compareTo(max) > 0 ? max : wanted;
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
            case PROCESSING, PENDING_APPROVAL, APPROVED, MINTED -> state(view);
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
            case PAID_UNDELIVERED -> ProblemJson.response(504, "paid-not-delivered", "Paid, not delivered",
                    view.failure() == null ? "Stripe shows the payment was charged; the seller did not deliver"
                            : view.failure().detail(), ext);
        };
    }

}
