package io.mppbroker.payment;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.mppbroker.api.ApiProblem;
import io.mppbroker.approval.Approval;
import io.mppbroker.approval.ApprovalDecision;
import io.mppbroker.approval.ApprovalService;
import io.mppbroker.audit.AuditTrail;
import io.mppbroker.auth.Callers;
import io.mppbroker.events.Changes;
import io.mppbroker.ledger.BudgetLedger;
import io.mppbroker.ledger.Money;
import io.mppbroker.mpp.MppProtocolException;
import io.mppbroker.mpp.Receipt;
import io.mppbroker.policy.AgentIdentity;
import io.mppbroker.policy.ApproverIdentity;
import io.mppbroker.revision.PolicyOverlay;
import io.mppbroker.revision.Revisions;
import io.mppbroker.seller.SellerUrlGuard;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.PersistenceException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.eclipse.microprofile.context.ManagedExecutor;
import org.jboss.logging.Logger;

/** One service for the payment aggregate: submit, read, approve or deny, withdraw. */
@ApplicationScoped
public class PaymentService {

    private static final Logger LOG = Logger.getLogger(PaymentService.class);
    private static final Set<String> METHODS = Set.of("GET", "POST", "PUT", "PATCH", "DELETE");
    private static final int MAX_BODY_BYTES = 1 << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final PaymentPipeline pipeline;
    private final ApprovalService approvals;
    private final SellerUrlGuard urlGuard;
    private final AuditTrail audit;
    private final Changes updates;
    private final ManagedExecutor executor;
    private final Revisions revisions;
    private final BudgetLedger ledger;
    private final PaymentsConfig config;
    private final Clock clock = Clock.systemUTC();

    public PaymentService(PaymentPipeline pipeline, ApprovalService approvals, SellerUrlGuard urlGuard, AuditTrail audit,
                          Changes updates, ManagedExecutor executor, Revisions revisions, BudgetLedger ledger,
                          PaymentsConfig config) {
        this.ledger = ledger;
        this.config = config;
        this.pipeline = pipeline;
        this.approvals = approvals;
        this.urlGuard = urlGuard;
        this.audit = audit;
        this.updates = updates;
        this.executor = executor;
        this.revisions = revisions;
    }

    /**
     * Takes an agent's request and runs it through the pipeline. A repeated Idempotency-Key returns the
     * first payment (waiting for it if it is still in flight) and never pays twice. Returns the payment as the
     * pipeline left it.
     */
    public PaymentView submit(AgentIdentity agent, PaymentCommand command, String idempotencyKey, Duration inFlightWait) {
        Validated v = validate(command);
        if (idempotencyKey != null && (idempotencyKey.isBlank() || idempotencyKey.length() > 255)) {
            throw ApiProblem.badRequest("Idempotency-Key must be 1 to 255 characters");
        }
        String requestHash = hash(agent, command);
        if (idempotencyKey != null) {
            var existing = QuarkusTransaction.requiringNew().call(() -> Payment.byIdempotencyKey(agent.project(), agent.agentId(), idempotencyKey));
            if (existing.isPresent()) {
                return replay(existing.get(), requestHash, inFlightWait);
            }
        }
        String id = Ids.next("pay");
        Payment submitted;
        try {
            submitted = QuarkusTransaction.requiringNew().call(() -> {
                Payment p = new Payment();
                Instant now = clock.instant();
                p.id = id;
                p.project = agent.project();
                p.agent = agent.agentId();
                p.task = command.task();
                p.purpose = command.purpose();
                p.idempotencyKey = idempotencyKey;
                p.requestHash = requestHash;
                p.requestMethod = v.method();
                p.requestUrl = v.url().toString();
                p.requestHeaders = v.headers();
                p.requestBody = v.body();
                p.sellerHost = v.url().getHost().toLowerCase(Locale.ROOT);
                p.status = PaymentStatus.PROCESSING;
                p.createdAt = now;
                p.updatedAt = now;
                p.persist();
                p.flush();
                audit.record(pipeline.entry(p, "request", null, command.purpose(), null, null, null, null, null, null));
                return p;
            });
        } catch (PersistenceException e) {
            if (idempotencyKey != null) {
                // A concurrent request with the same key won the insert: answer with its payment.
                var winner = QuarkusTransaction.requiringNew().call(() -> Payment.byIdempotencyKey(agent.project(), agent.agentId(), idempotencyKey));
                if (winner.isPresent()) {
                    return replay(winner.get(), requestHash, inFlightWait);
                }
            }
            throw e;
        }
        return pipeline.run(submitted);
    }

    // ---- SPT drop-in ---------------------------------------------------------------------------------

    /**
     * An mppx client asks for a token (docs/spt-drop-in.md). A repeated Idempotency-Key returns the first payment; a
     * retry of a mint a human has in hand (same agent, amount, currency and seller profile within
     * {@code broker.payments.mint-retry-window}) continues that payment; anything else is a new payment, decided by the
     * same pipeline step as a seller's challenge and minted at once when the tier is auto. The caller looks at the
     * returned payment's status: minted, pending approval, approved (then {@link #collectMint}), denied or failed.
     */
    public Payment requestMint(AgentIdentity agent, MintCommand command, String idempotencyKey) {
        if (idempotencyKey != null && (idempotencyKey.isBlank() || idempotencyKey.length() > 255)) {
            throw ApiProblem.badRequest("Idempotency-Key must be 1 to 255 characters");
        }
        String requestHash = mintHash(agent, command);
        Instant now = clock.instant();
        var existing = QuarkusTransaction.requiringNew().call(() -> idempotencyKey != null
                ? Payment.byIdempotencyKey(agent.project(), agent.agentId(), idempotencyKey)
                : Payment.openMint(agent.project(), agent.agentId(), command.amountMinor(), command.currency(), command.networkProfile(),
                        now.minus(config.mintRetryWindow())));
        if (existing.isPresent()) {
            if (!existing.get().requestHash.equals(requestHash)) {
                throw new ApiProblem(400, "idempotency_error", "Idempotency key reused",
                        "Keys for idempotent requests can only be used with the same parameters they were first used with")
                        .with("payment_id", existing.get().id);
            }
            return existing.get().status == PaymentStatus.APPROVED ? collectMint(existing.get().id, command) : existing.get();
        }
        String id = Ids.next("pay");
        try {
            QuarkusTransaction.requiringNew().run(() -> {
                Payment p = new Payment();
                p.id = id;
                p.kind = PaymentKind.SPT_MINT;
                p.project = agent.project();
                p.agent = agent.agentId();
                p.task = MINT_TASK_PREFIX + agent.agentId();
                p.purpose = "Shared Payment Token for " + command.networkProfile() + " (mppx drop-in)";
                p.idempotencyKey = idempotencyKey;
                p.requestHash = requestHash;
                p.requestMethod = "POST";
                p.requestUrl = "/stripe/v1/" + command.endpoint();
                p.requestHeaders = Map.of();
                // The seller is known by its Stripe network profile only: that is its identity for the policy.
                p.sellerHost = command.networkProfile();
                p.status = PaymentStatus.PROCESSING;
                p.createdAt = now;
                p.updatedAt = now;
                p.persist();
                p.flush();
                audit.record(pipeline.entry(p, "request", null, p.purpose, null, null, null, null, null, null));
            });
        } catch (PersistenceException e) {
            if (idempotencyKey != null) {
                var winner = QuarkusTransaction.requiringNew().call(() -> Payment.byIdempotencyKey(agent.project(), agent.agentId(), idempotencyKey));
                if (winner.isPresent()) {
                    return winner.get();
                }
            }
            throw e;
        }
        PaymentTerms terms = mintTerms(command);
        if (pipeline.decideMint(id, terms).tier() == io.mppbroker.policy.Tier.AUTO) {
            pipeline.mintForAgent(id, terms, command.expiresAt());
        }
        return find(id);
    }

    /**
     * A human approved the mint and the agent's call (held or retried) collects it: exactly one caller claims the
     * approved payment, checks the request still fits the approval and the hard limits, and mints. Others get the
     * payment as it is (processing, then minted).
     */
    public Payment collectMint(String paymentId, MintCommand command) {
        int claimed = QuarkusTransaction.requiringNew().call(() -> Payment.update(
                "status = ?1, updatedAt = ?2 where id = ?3 and status = ?4 and kind = ?5",
                PaymentStatus.PROCESSING, clock.instant(), paymentId, PaymentStatus.APPROVED, PaymentKind.SPT_MINT));
        if (claimed == 1) {
            PaymentTerms terms = mintTerms(command);
            if (pipeline.authorizeApprovedMint(paymentId, terms)) {
                pipeline.mintForAgent(paymentId, terms, command.expiresAt());
            }
        }
        return find(paymentId);
    }

    /** Drop-in mints are budgeted as one task per agent. */
    public static final String MINT_TASK_PREFIX = "spt:";

    private static PaymentTerms mintTerms(MintCommand c) {
        return new PaymentTerms("stripe", "charge", java.math.BigDecimal.valueOf(c.amountMinor(), io.mppbroker.mpp.ChargeRequest.fractionDigits(c.currency())), c.amountMinor(),
                c.currency(), null, c.networkProfile(), "mint");
    }

    private static String mintHash(AgentIdentity agent, MintCommand c) {
        return sha256(String.join("\n", "spt-mint", agent.project(), agent.agentId(), Long.toString(c.amountMinor()), c.currency(),
                c.networkProfile()).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The agent reports the seller's receipt for its own payment (by id, or by the token it was given). The
     * PaymentIntent id becomes the payment's receipt reference, joined to its decision in reconciliation; a minted
     * token becomes paid and its budget captured. Reporting the same reference again changes nothing.
     */
    public Payment linkReceipt(AgentIdentity agent, String paymentId, ReportedReceipt reported) {
        Receipt receipt = receiptOf(reported);
        String id = QuarkusTransaction.requiringNew().call(() -> {
            String target = paymentId != null ? paymentId
                    : reported.spt() == null ? null : Payment.byAgentAndSpt(agent.agentId(), reported.spt()).map(q -> q.id).orElse(null);
            // Locked: two reports at once, or a report racing settlement, are serialized, never a lost update or a 500.
            Payment p = target == null ? null : Payment.findById(target, jakarta.persistence.LockModeType.PESSIMISTIC_WRITE);
            if (p == null || !p.agent.equals(agent.agentId()) || !p.project.equals(agent.project())) {
                throw ApiProblem.notFound(paymentId != null ? "no payment " + paymentId : "no payment of yours has this token");
            }
            if (p.sptId == null) {
                throw ApiProblem.conflict("no-token", "payment " + p.id + " never minted a payment token; there is nothing to link");
            }
            if (p.receiptReference != null) {
                if (p.receiptReference.equals(receipt.reference())) {
                    return p.id;
                }
                throw ApiProblem.conflict("receipt-already-linked", "payment " + p.id + " is already linked to "
                        + p.receiptReference);
            }
            if (!RECEIPTABLE.contains(p.status)) {
                throw ApiProblem.conflict("payment-not-charged", "payment " + p.id + " is " + p.status.wire()
                        + "; only a minted or paid payment takes a receipt");
            }
            Instant now = clock.instant();
            Map<String, Object> fields = new LinkedHashMap<>(receipt.extra());
            fields.put("method", receipt.method());
            fields.put("status", receipt.status());
            fields.put("timestamp", receipt.timestamp());
            fields.put("reference", receipt.reference());
            fields.put("reported_by", "agent");
            p.receipt = fields;
            p.receiptReference = receipt.reference();
            p.sptState = SptState.USED;
            if ("receipt-missing".equals(p.failureCode)) {
                p.failureCode = null;
                p.failureDetail = null;
            }
            if (p.status == PaymentStatus.MINTED) {
                p.status = PaymentStatus.PAID;
                ledger.capture(p.id, now);
            }
            p.updatedAt = now;
            audit.record(pipeline.entry(p, "receipt", null, "the agent reported the seller's receipt " + receipt.reference()
                    + " (" + p.status.wire() + ")", p.amount, p.currency, p.decisionId, p.approvedBy, receipt.reference(), null));
            return p.id;
        });
        updates.changed(id);
        return find(id);
    }

    private static final Set<PaymentStatus> RECEIPTABLE = Set.of(PaymentStatus.MINTED, PaymentStatus.PAID,
            PaymentStatus.CHARGED_NOT_DELIVERED, PaymentStatus.PAID_UNDELIVERED);

    private static Receipt receiptOf(ReportedReceipt r) {
        if (r == null) {
            throw ApiProblem.badRequest("body must be {\"receipt\": \"<Payment-Receipt header>\"} or {\"reference\": \"pi_...\", ...}");
        }
        if (r.receipt() != null) {
            try {
                return Receipt.parse(r.receipt());
            } catch (MppProtocolException e) {
                throw ApiProblem.badRequest("receipt is not a valid Payment-Receipt: " + e.getMessage());
            }
        }
        if (r.reference() == null || !r.reference().matches("[A-Za-z0-9_]{1,255}")) {
            throw ApiProblem.badRequest("reference is required: the seller's Stripe PaymentIntent id (pi_...)");
        }
        if (r.status() != null && !Receipt.SUCCESS.equals(r.status())) {
            throw ApiProblem.badRequest("a receipt's status is \"success\"; the seller issues none for a failed payment");
        }
        Map<String, Object> extra = new LinkedHashMap<>();
        if (r.externalId() != null) {
            extra.put("externalId", r.externalId());
        }
        return new Receipt(Receipt.SUCCESS, r.method() == null ? "stripe" : r.method(),
                r.timestamp() == null ? Instant.now().toString() : r.timestamp(), r.reference(), extra);
    }

    private PaymentView replay(Payment existing, String requestHash, Duration inFlightWait) {
        if (!existing.requestHash.equals(requestHash)) {
            throw new ApiProblem(422, "idempotency-key-reused", "Idempotency key reused",
                    "this Idempotency-Key was used for a different request").with("payment_id", existing.id);
        }
        // The first request may be in flight on another node; a wake-up may end the wait early (re-check), so loop.
        Instant until = clock.instant().plus(inFlightWait);
        Payment p = existing;
        while (p.status == PaymentStatus.PROCESSING) {
            Duration left = Duration.between(clock.instant(), until);
            if (left.isNegative() || left.isZero()) {
                break;
            }
            // Registered before the re-read: a change committed in between wakes this wait instead of being missed.
            Uni<Void> change = updates.nextChange(existing.id, left);
            p = find(existing.id);
            if (p.status != PaymentStatus.PROCESSING) {
                break; // the registration lapses by itself
            }
            change.await().atMost(left.plusSeconds(1));
        }
        return view(p);
    }

    public Payment find(String id) {
        return QuarkusTransaction.requiringNew().call(() -> {
            Payment p = Payment.findById(id);
            if (p == null) {
                throw ApiProblem.notFound("no payment " + id);
            }
            return p;
        });
    }

    public PaymentView view(String id, Callers.Caller caller) {
        return QuarkusTransaction.requiringNew().call(() -> {
            Payment p = Payment.findById(id);
            if (p == null || !caller.mayRead(p.project, p.agent)) {
                throw ApiProblem.notFound("no payment " + id); // do not reveal other projects' payments
            }
            return PaymentView.of(p, p.approvalId == null ? null : Approval.findById(p.approvalId));
        });
    }

    public PaymentView view(Payment p) {
        return QuarkusTransaction.requiringNew().call(() ->
                PaymentView.of(Payment.findById(p.id), p.approvalId == null ? null : Approval.findById(p.approvalId)));
    }

    /** Who answered, and through which channel: "api", "slack", "telegram", "dashboard". */
    public record Answer(ApprovalService.Outcome outcome, String paymentId) {}

    /**
     * An approver's answer, from any channel. Exactly one decision wins; an approval that still needs other
     * approvers records the vote. On approval the revisions are applied (task budget and seller allowance
     * become policy overlays with an expiry), the broker pays in the background against a fresh challenge,
     * and waiting agents are woken with the decision, the approver, the note and the new limits.
     */
    public Answer decide(ApproverIdentity approver, String approvalId, ApprovalDecision decision, String via) {
        Answer answer = QuarkusTransaction.requiringNew().call(() -> {
            Approval a = Approval.findById(approvalId);
            if (a == null || !approver.mayApprove(a.project)) {
                throw a == null ? ApiProblem.notFound("no approval " + approvalId)
                        : ApiProblem.forbidden("not-an-approver", approver.approverId() + " is not an approver of project " + a.project);
            }
            Payment p = Payment.findById(a.paymentId);
            Instant now = clock.instant();
            ApprovalService.Outcome outcome = approvals.answer(approver.approverId(), approvalId, decision, via, now);
            String who = approver.approverId();
            switch (outcome) {
                case VOTE_RECORDED -> audit.record(pipeline.entry(p, "approval_vote", "ASK", who + " approved via " + via
                                + "; " + a.requiredApprovals + " distinct approvals are required",
                        p.amount, p.currency, p.decisionId, who, null, 202));
                case DENIED -> {
                    Decision d = Decision.record(p, a.tier, "human", "approval",
                            "denied by " + who + (decision.note() == null ? "" : ": " + decision.note()),
                            pipeline.policyVersion(p.project), who, p.amount, p.currency, now);
                    p.approvedBy = who;
                    p.approvalNote = decision.note();
                    p.status = PaymentStatus.DENIED;
                    audit.record(pipeline.entry(p, "approval", "DENY", d.reason + " (via " + via + ")", p.amount, p.currency,
                            d.id, who, null, 403));
                }
                case APPROVED -> {
                    Map<String, Object> revision = applyRevisions(a, p, decision, who, now);
                    approvals.recordRevision(a.id, revision);
                    p.approvedBy = who;
                    p.approvalNote = decision.note();
                    p.approvedMaxAmount = decision.maxAmount() != null ? decision.maxAmount() : p.amount;
                    p.status = PaymentStatus.APPROVED;
                    audit.record(pipeline.entry(p, "approval", "ALLOW", "approved by " + who + " via " + via
                                    + (decision.note() == null ? "" : ": " + decision.note())
                                    + (revision.isEmpty() ? "" : "; revisions " + revision),
                            p.amount, p.currency, p.decisionId, who, null, 200));
                }
            }
            p.updatedAt = now;
            return new Answer(outcome, p.id);
        });
        updates.changed(answer.paymentId());
        if (answer.outcome() == ApprovalService.Outcome.APPROVED) {
            resumeInBackground(answer.paymentId());
        }
        return answer;
    }

    private Map<String, Object> applyRevisions(Approval a, Payment p, ApprovalDecision decision, String who, Instant now) {
        Map<String, Object> revision = new LinkedHashMap<>();
        if (decision.maxAmount() != null) {
            revision.put("max_amount", Money.format(decision.maxAmount(), p.currency));
        }
        if (decision.taskBudget() != null) {
            PolicyOverlay o = revisions.raiseTaskBudget(p.project, p.task, decision.taskBudget().amount(),
                    decision.taskBudget().ttl(), who, a.id, now);
            revision.put("task_budget", Map.of("task", p.task, "amount", Money.format(o.amount, p.currency),
                    "expires_at", o.expiresAt.toString(), "overlay_id", o.id));
        }
        if (decision.allowSeller() != null) {
            PolicyOverlay o = revisions.allowSeller(p.project, p.sellerHost, decision.allowSeller().maxAmount(),
                    decision.allowSeller().ttl(), who, a.id, now);
            revision.put("seller_allowance", Map.of("seller", o.sellerHost, "max_amount", Money.format(o.amount, p.currency),
                    "expires_at", o.expiresAt.toString(), "overlay_id", o.id));
        }
        return revision;
    }

    void resumeInBackground(String paymentId) {
        executor.runAsync(() -> {
            try {
                pipeline.resumeApproved(paymentId);
            } catch (RuntimeException e) {
                LOG.errorf(e, "payment %s: paying after approval failed", paymentId);
            }
        });
    }

    /** The agent no longer wants it: only a payment still waiting for a human can be withdrawn. */
    public Payment withdraw(AgentIdentity agent, String id) {
        QuarkusTransaction.requiringNew().run(() -> {
            Payment p = Payment.findById(id);
            if (p == null || !p.agent.equals(agent.agentId()) || !p.project.equals(agent.project())) {
                throw ApiProblem.notFound("no payment " + id);
            }
            if (p.status != PaymentStatus.PENDING_APPROVAL) {
                throw ApiProblem.conflict("payment-not-withdrawable", "payment " + id + " is " + p.status.wire()
                        + "; only a payment pending approval can be withdrawn");
            }
            Instant now = clock.instant();
            approvals.close(p.approvalId, Approval.Status.WITHDRAWN, now);
            p.status = PaymentStatus.WITHDRAWN;
            p.updatedAt = now;
            audit.record(pipeline.entry(p, "withdrawn", null, "withdrawn by the agent", p.amount, p.currency,
                    p.decisionId, null, null, null));
        });
        updates.changed(id);
        return find(id);
    }

    // ---- input checks ------------------------------------------------------------------------------

    private record Validated(String method, URI url, Map<String, String> headers, byte[] body) {}

    private Validated validate(PaymentCommand c) {
        if (c == null) {
            throw ApiProblem.badRequest("body must be a JSON object with task, purpose and request");
        }
        if (c.task() == null || c.task().isBlank() || c.task().length() > 200) {
            throw ApiProblem.badRequest("task is required (1 to 200 characters)");
        }
        if (c.purpose() != null && c.purpose().length() > 2000) {
            throw ApiProblem.badRequest("purpose is at most 2000 characters");
        }
        PaymentCommand.FetchRequest r = c.request();
        if (r == null) {
            throw ApiProblem.badRequest("request is required: {\"method\",\"url\",\"headers\",\"body\"}");
        }
        String method = r.method() == null ? "GET" : r.method().toUpperCase(Locale.ROOT);
        if (!METHODS.contains(method)) {
            throw ApiProblem.badRequest("request.method must be one of " + METHODS);
        }
        if (r.url() == null || r.url().length() > 8192) {
            throw ApiProblem.badRequest("request.url is required (at most 8192 characters)");
        }
        URI url = urlGuard.check(r.url());
        Map<String, String> headers = new LinkedHashMap<>();
        if (r.headers() != null) {
            r.headers().forEach((name, value) -> {
                if (name == null || !name.matches("[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}") || value == null
                        || value.length() > 8192 || value.chars().anyMatch(ch -> ch == '\r' || ch == '\n')) {
                    throw ApiProblem.badRequest("request.headers has an invalid header: " + name);
                }
                headers.put(name, value);
            });
        }
        if (r.body() != null && r.bodyBase64() != null) {
            throw ApiProblem.badRequest("give request.body or request.body_base64, not both");
        }
        byte[] body;
        try {
            body = r.bodyBase64() != null ? Base64.getDecoder().decode(r.bodyBase64())
                    : r.body() != null ? r.body().getBytes(StandardCharsets.UTF_8) : new byte[0];
        } catch (IllegalArgumentException e) {
            throw ApiProblem.badRequest("request.body_base64 is not valid base64");
        }
        if (body.length > MAX_BODY_BYTES) {
            throw ApiProblem.badRequest("request body is larger than " + MAX_BODY_BYTES + " bytes");
        }
        return new Validated(method, url, headers, body);
    }

    private static String hash(AgentIdentity agent, PaymentCommand command) {
        try {
            byte[] json = JSON.writeValueAsBytes(command);
            byte[] id = agent.agentId().getBytes(StandardCharsets.UTF_8);
            byte[] all = new byte[id.length + json.length];
            System.arraycopy(id, 0, all, 0, id.length);
            System.arraycopy(json, 0, all, id.length, json.length);
            return sha256(all);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
