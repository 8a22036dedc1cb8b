package io.mppbroker.spt;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mppbroker.api.ApiProblem;
import io.mppbroker.events.Changes;
import io.mppbroker.payment.MintCommand;
import io.mppbroker.payment.Payment;
import io.mppbroker.payment.PaymentService;
import io.mppbroker.payment.PaymentStatus;
import io.mppbroker.payment.PaymentsConfig;
import io.mppbroker.policy.AgentIdentity;
import io.mppbroker.policy.PolicyRegistry;
import io.mppbroker.stripe.SptMinter;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;

/**
 * The SPT drop-in (docs/spt-drop-in.md): Stripe's {@code POST /v1/shared_payment/issued_tokens} and its test helper
 * {@code /v1/test_helpers/shared_payment/granted_tokens}, answered by the broker for an unmodified mppx client whose
 * Stripe "secret key" is the agent's broker token. The payment policy decides as for a seller's challenge; allowed
 * tokens are minted with the broker's key; a mint that needs a human is held up to {@code broker.payments.mint-hold}
 * and then refused with {@code approval_pending} until the agent's retry finds it approved. Answers are Stripe's
 * shapes: the token object, or {@code {"error":{...}}}.
 */
@ApplicationScoped
public class SptDropIn {

    /** Agent tool calls time out near 60 s: no configuration holds a mint longer. */
    static final Duration HARD_MAX_HOLD = Duration.ofSeconds(55);
    static final String RETRY_AFTER_SECONDS = "10";

    private final PaymentService payments;
    private final PolicyRegistry policies;
    private final Changes changes;
    private final PaymentsConfig config;
    private final SptMinter stripe;

    public SptDropIn(PaymentService payments, PolicyRegistry policies, Changes changes, PaymentsConfig config, SptMinter stripe) {
        this.payments = payments;
        this.policies = policies;
        this.changes = changes;
        this.config = config;
        this.stripe = stripe;
    }

    /** True for the two Stripe paths the broker answers itself instead of forwarding. */
    public static boolean handles(String method, String apiPath) {
        return "POST".equals(method) && (MintForm.ISSUED_TOKENS.equals(apiPath) || MintForm.GRANTED_TOKENS.equals(apiPath));
    }

    /** Runs on a worker thread; the hold for a human waits without one. */
    public Uni<Response> mint(String apiPath, HttpHeaders headers, byte[] body) {
        Instant now = Instant.now();
        Instant deadline = now.plus(config.mintHold().compareTo(HARD_MAX_HOLD) > 0 ? HARD_MAX_HOLD : config.mintHold());
        String version = headers.getHeaderString("Stripe-Version");
        MintCommand command;
        Payment payment;
        try {
            AgentIdentity agent = agent(headers.getHeaderString(HttpHeaders.AUTHORIZATION));
            command = MintForm.parse(apiPath, body, now, config.mintMaxLifetime());
            payment = payments.requestMint(agent, command, headers.getHeaderString("Idempotency-Key"));
        } catch (StripeError e) {
            return Uni.createFrom().item(withVersion(e.toResponse(), version));
        } catch (ApiProblem e) {
            return Uni.createFrom().item(withVersion(fromProblem(e).toResponse(), version));
        }
        return answer(payment, command, deadline).map(r -> withVersion(r, version));
    }

    private Uni<Response> answer(Payment payment, MintCommand command, Instant deadline) {
        if (!waiting(payment.status)) {
            return Uni.createFrom().item(outcome(payment));
        }
        return hold(payment.id, command, deadline);
    }

    /** Waits for the human without a thread: wakes on each change of the payment, collects an approval, until the deadline. */
    private Uni<Response> hold(String paymentId, MintCommand command, Instant deadline) {
        Duration left = Duration.between(Instant.now(), deadline);
        // Register for the wake-up before reading, so a change in between is not missed.
        Uni<Void> change = left.isNegative() || left.isZero() ? null : changes.nextChange(paymentId, left);
        return Uni.createFrom().item(() -> {
                    Payment p = payments.find(paymentId);
                    return p.status == PaymentStatus.APPROVED ? payments.collectMint(paymentId, command) : p;
                })
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
                .flatMap(p -> {
                    if (!waiting(p.status)) {
                        return Uni.createFrom().item(outcome(p));
                    }
                    if (change == null) {
                        return Uni.createFrom().item(retryLater(p).toResponse());
                    }
                    return change.flatMap(ignored -> hold(paymentId, command, deadline));
                });
    }

    private static boolean waiting(PaymentStatus status) {
        return status == PaymentStatus.PENDING_APPROVAL || status == PaymentStatus.APPROVED || status == PaymentStatus.PROCESSING;
    }

    private Response outcome(Payment p) {
        return switch (p.status) {
            case MINTED, PAID -> p.sptId == null ? failed(p).toResponse()
                    : Response.ok(token(p), MediaType.APPLICATION_JSON).header("Request-Id", "req_" + p.id).build();
            case DENIED -> new StripeError(402, StripeError.CARD_ERROR, "payment_denied",
                    "The broker refused this payment: " + p.reason + " (payment " + p.id + ")", null)
                    .with("decline_code", p.rule).with("payment_id", p.id).toResponse();
            case FAILED -> failed(p).toResponse();
            default -> new StripeError(409, StripeError.INVALID_REQUEST, "payment_" + p.status.wire(),
                    "Payment " + p.id + " is " + p.status.wire() + "; start a new request.", null)
                    .with("payment_id", p.id).toResponse();
        };
    }

    private static StripeError failed(Payment p) {
        return new StripeError(502, StripeError.API_ERROR, "mint_failed", "The broker could not mint the token: "
                + (p.failureDetail == null ? "unknown failure" : p.failureDetail) + " (payment " + p.id + ")", null)
                .with("payment_id", p.id);
    }

    private static StripeError retryLater(Payment p) {
        String what = p.status == PaymentStatus.PROCESSING ? "is still being decided"
                : "needs a human approval (" + (p.tier == null ? "" : p.tier.toLowerCase(java.util.Locale.ROOT) + " tier: ")
                + p.reason + ")" + (p.approvalId == null ? "" : "; approval " + p.approvalId + " is pending");
        return new StripeError(409, StripeError.INVALID_REQUEST, "approval_pending", "Payment " + p.id + " " + what
                + ". Retry the same request after approval; the retry gets the token.", null)
                .with("payment_id", p.id).with("approval_id", p.approvalId)
                .header("Retry-After", RETRY_AFTER_SECONDS);
    }

    /** The token object Stripe would answer, rebuilt from the payment (also for idempotent replays). Never logged. */
    private String token(Payment p) {
        boolean issued = p.requestUrl.endsWith(MintForm.ISSUED_TOKENS) && !p.requestUrl.endsWith(MintForm.GRANTED_TOKENS);
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode n = f.objectNode();
        n.put("id", p.sptId);
        n.put("object", issued ? "shared_payment.issued_token" : "shared_payment.granted_token");
        n.put("created", p.sptMintedAt == null ? Instant.now().getEpochSecond() : p.sptMintedAt.getEpochSecond());
        n.putNull("deactivated_at");
        n.putNull("deactivated_reason");
        n.put("livemode", !testMode());
        n.putObject("metadata").put("mpp_broker_payment_id", p.id);
        n.putNull("payment_method"); // the project's card stays with the broker
        ObjectNode seller = n.putObject("seller_details");
        seller.putNull("external_id");
        seller.put(issued ? "network_business_profile" : "network_id", p.networkProfile);
        ObjectNode limits = n.putObject("usage_limits");
        limits.put("currency", p.currency);
        if (p.sptExpiresAt == null) {
            limits.putNull("expires_at");
        } else {
            limits.put("expires_at", p.sptExpiresAt.getEpochSecond());
        }
        limits.put("max_amount", p.amountMinor);
        ObjectNode captured = n.putObject("usage_details").putObject("amount_captured");
        captured.put("currency", p.currency);
        captured.put("value", 0);
        n.put("status", "active");
        return n.toString();
    }

    private boolean testMode() {
        try {
            return stripe.testMode();
        } catch (IllegalStateException e) {
            return true;
        }
    }

    /**
     * Stripe's key conventions: {@code Authorization: Bearer <key>}, or Basic with the key as user name (what mppx
     * sends). Here the key is the agent's broker token.
     */
    AgentIdentity agent(String authorization) {
        String key = keyOf(authorization).orElseThrow(() -> new StripeError(401, StripeError.INVALID_REQUEST, null,
                "You did not provide an API key. Use your broker agent token as the Stripe secret key "
                        + "(Authorization: Bearer <token>, or Basic with the token as user name).", null));
        return policies.agentByToken(key).orElseThrow(() -> policies.approverByToken(key).isPresent()
                ? new StripeError(403, StripeError.INVALID_REQUEST, "secret_key_required",
                "This key belongs to an approver; only agent tokens mint payment tokens.", null)
                : new StripeError(401, StripeError.INVALID_REQUEST, null, "Invalid API Key provided: not a broker agent token.", null));
    }

    static Optional<String> keyOf(String authorization) {
        if (authorization == null) {
            return Optional.empty();
        }
        String[] parts = authorization.strip().split("\\s+", 2);
        if (parts.length != 2) {
            return Optional.empty();
        }
        String key = null;
        if (parts[0].equalsIgnoreCase("Bearer")) {
            key = parts[1].strip();
        } else if (parts[0].equalsIgnoreCase("Basic")) {
            try {
                String decoded = new String(Base64.getDecoder().decode(parts[1].strip()), StandardCharsets.UTF_8);
                int colon = decoded.indexOf(':');
                key = colon < 0 ? decoded : decoded.substring(0, colon);
            } catch (IllegalArgumentException e) {
                return Optional.empty();
            }
        }
        return key == null || key.isEmpty() || key.length() > 512 ? Optional.empty() : Optional.of(key);
    }

    private static StripeError fromProblem(ApiProblem e) {
        String type = e.status() >= 500 ? StripeError.API_ERROR : StripeError.INVALID_REQUEST;
        String code = e.code() == null ? null : e.code().replace('-', '_');
        StripeError error = new StripeError(e.status(), type, code, e.detail(), null);
        Object paymentId = e.extensions().get("payment_id");
        return paymentId == null ? error : error.with("payment_id", paymentId.toString());
    }

    private static Response withVersion(Response r, String version) {
        return version == null ? r : Response.fromResponse(r).header("Stripe-Version", version).build();
    }
}
