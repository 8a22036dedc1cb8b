package io.mppbroker.payment;

import io.mppbroker.approval.Approval;
import io.mppbroker.approval.ApprovalService;
import io.mppbroker.audit.AuditEntry;
import io.mppbroker.audit.AuditTrail;
import io.mppbroker.events.Changes;
import io.mppbroker.ledger.BudgetLedger;
import io.mppbroker.ledger.Spend;
import io.mppbroker.ledger.Spending;
import io.mppbroker.mpp.Challenge;
import io.mppbroker.mpp.ChallengeParser;
import io.mppbroker.mpp.ChargeRequest;
import io.mppbroker.mpp.Credential;
import io.mppbroker.mpp.MppHeaders;
import io.mppbroker.mpp.MppProtocolException;
import io.mppbroker.mpp.ParsedChallenges;
import io.mppbroker.mpp.Receipt;
import io.mppbroker.mpp.SellerProblem;
import io.mppbroker.policy.ObserveMode;
import io.mppbroker.policy.PaymentFacts;
import io.mppbroker.policy.PaymentPolicy;
import io.mppbroker.policy.PolicyRegistry;
import io.mppbroker.policy.PolicyVersion;
import io.mppbroker.policy.ProjectPolicy;
import io.mppbroker.policy.Tier;
import io.mppbroker.policy.Verdict;
import io.mppbroker.revision.Revisions;
import io.mppbroker.seller.SellerClient;
import io.mppbroker.seller.SellerRequest;
import io.mppbroker.seller.SellerResponse;
import io.mppbroker.seller.SellerUnreachable;
import io.mppbroker.stripe.MintRequest;
import io.mppbroker.stripe.SptMinter;
import io.mppbroker.stripe.SptStatus;
import io.mppbroker.stripe.StripeFailure;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.persistence.LockModeType;
import jakarta.enterprise.context.ApplicationScoped;
import java.math.BigDecimal;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * The paying path, one step per method, in the order a payment goes through them:
 * <pre>fetch → challenge → decide → hold → pay → record</pre>
 * Each step that changes state commits its own short transaction, so the seller and Stripe are never
 * called while a database transaction (or the budget lock) is held. An auto-tier payment takes three here
 * (plus the one in which {@link PaymentService#submit} stores the request): decide (with the challenge's audit
 * line), the minted token (stored before the seller can see it, so a crash never loses a token that may be
 * spent), and the outcome, which also yields the view answered to the agent. Paying after an approval records
 * the fresh challenge's line in its authorization's transaction the same way. Each of them holds the audit
 * chain's head until it commits, so every transaction saved here is throughput gained for all payments.
 */
@ApplicationScoped
public class PaymentPipeline {

    private static final Logger LOG = Logger.getLogger(PaymentPipeline.class);

    private final SellerClient seller;
    private final PolicyRegistry policies;
    private final BudgetLedger ledger;
    private final ApprovalService approvals;
    private final SptMinter stripe;
    private final AuditTrail audit;
    private final Changes updates;
    private final PaymentMetrics metrics;
    private final Revisions revisions;
    private final Clock clock = Clock.systemUTC();

    public PaymentPipeline(SellerClient seller, PolicyRegistry policies, BudgetLedger ledger, ApprovalService approvals,
                           SptMinter stripe, AuditTrail audit, Changes updates, PaymentMetrics metrics,
                           Revisions revisions) {
        this.seller = seller;
        this.policies = policies;
        this.ledger = ledger;
        this.approvals = approvals;
        this.stripe = stripe;
        this.audit = audit;
        this.updates = updates;
        this.metrics = metrics;
        this.revisions = revisions;
    }

    /**
     * A new request from an agent, as {@link PaymentService#submit} committed it: runs until it is paid, refused,
     * failed or parked for a human, and returns the payment as it is then (read in the last step's transaction).
     */
    public PaymentView run(Payment payment) {
        SellerRequest request = sellerRequest(payment);

        Optional<SellerResponse> first = fetch(payment, request);
        if (first.isEmpty()) {
            return view(payment.id);
        }
        if (first.get().status() != 402) {
            return recordNotRequired(payment, first.get());
        }
        Instant challengedAt = clock.instant();
        Optional<Challenged> challenged = challenge(payment, first.get());
        if (challenged.isEmpty()) {
            return view(payment.id);
        }
        Decided decided = decide(payment.id, challenged.get().offer().terms(), challenged.get().received(), challengedAt);
        if (decided.verdict().tier() != Tier.AUTO) {
            return decided.view();
        }
        return pay(payment, request, challenged.get().offer(), decided.policyVersion());
    }

    /** A usable offer, and its {@code challenge_received} audit line, recorded with the next step's changes. */
    private record Challenged(Offer offer, AuditEntry received) {}

    /** What {@link #decide} concluded, the policy version it named, and (unless it is auto) the payment's view. */
    private record Decided(Verdict verdict, String policyVersion, PaymentView view) {}

    /**
     * A human approved. The first challenge has likely expired, so the broker asks the seller again and
     * pays only if the fresh challenge fits what was approved.
     */
    public void resumeApproved(String paymentId) {
        Payment payment = load(paymentId);
        if (payment.kind == PaymentKind.SPT_MINT) {
            return; // no seller request to replay: the agent's held or retried mint call collects the approval
        }
        SellerRequest request = sellerRequest(payment);
        Optional<SellerResponse> fresh = fetch(payment, request);
        if (fresh.isEmpty()) {
            return;
        }
        if (fresh.get().status() != 402) {
            recordNotRequired(payment, fresh.get());
            return;
        }
        Optional<Challenged> challenged = challenge(payment, fresh.get());
        if (challenged.isEmpty()) {
            return;
        }
        Offer offer = challenged.get().offer();
        authorizeApproved(payment.id, offer.terms(), challenged.get().received())
                .ifPresent(version -> pay(payment, request, offer, version));
    }

    // ---- SPT drop-in: decide and mint, the agent pays the seller itself ---------------------------------

    /** Decides a drop-in mint exactly as a seller's challenge: same policy, budgets, holds and audit lines. */
    public Verdict decideMint(String paymentId, PaymentTerms terms) {
        return decide(paymentId, terms, null, clock.instant()).verdict();
    }

    /** A human approved a drop-in mint and the agent asked again: the same fit and hard-limit checks as {@link #resumeApproved}. */
    public boolean authorizeApprovedMint(String paymentId, PaymentTerms terms) {
        return authorizeApproved(paymentId, terms, null).isPresent();
    }

    /**
     * Mints the allowed payment's token with the broker's key and hands it to the agent: the payment becomes
     * {@link PaymentStatus#MINTED} with its budget still reserved. Empty when Stripe refused (the payment failed,
     * its budget was released).
     */
    public Optional<String> mintForAgent(String paymentId, PaymentTerms terms, Instant expires) {
        Payment payment = load(paymentId);
        Optional<String> spt = mint(payment, terms, expires, null);
        spt.ifPresent(token -> finish(paymentId, PaymentStatus.MINTED, p -> { }, "minted_for_agent", "ALLOW",
                "token handed to the agent, capped at " + terms.amount().toPlainString() + " " + terms.currency()
                        + " for " + terms.networkProfile() + "; the seller charges it", null));
        return spt;
    }

    // ---- fetch -------------------------------------------------------------------------------------

    private Optional<SellerResponse> fetch(Payment payment, SellerRequest request) {
        try {
            return Optional.of(seller.send(request, Map.of(MppHeaders.ACCEPT_PAYMENT_HEADER, MppHeaders.ACCEPT_PAYMENT)));
        } catch (SellerUnreachable e) {
            // No credential was attached, so nothing can have been paid.
            finish(payment.id, PaymentStatus.FAILED, p -> {
                p.failureCode = "seller-unreachable";
                p.failureDetail = e.getMessage();
            }, "failed", null, e.getMessage(), null);
            return Optional.empty();
        }
    }

    private PaymentView recordNotRequired(Payment payment, SellerResponse response) {
        return finish(payment.id, PaymentStatus.NOT_REQUIRED, p -> keepResponse(p, response),
                "response", null, "seller answered " + response.status() + " without asking for payment", response.status());
    }

    // ---- challenge ---------------------------------------------------------------------------------

    private Optional<Challenged> challenge(Payment payment, SellerResponse response) {
        List<String> lines = response.all(MppHeaders.WWW_AUTHENTICATE_HEADER);
        ParsedChallenges parsed;
        try {
            parsed = ChallengeParser.parse(lines);
        } catch (MppProtocolException e) {
            denyUnpayable(payment, response, "challenge", "seller's challenge is malformed: " + e.getMessage());
            return Optional.empty();
        }
        String currency = policies.project(payment.project).map(ProjectPolicy::currency).orElse(null);
        Optional<Challenge> chosen = ChallengeParser.chooseStripeCharge(parsed.challenges(),
                c -> currency == null || currency.equalsIgnoreCase(currencyOf(c)));
        if (chosen.isEmpty()) {
            chosen = ChallengeParser.chooseStripeCharge(parsed.challenges(), c -> true);
        }
        if (chosen.isEmpty()) {
            String offered = parsed.challenges().isEmpty() ? "no valid Payment challenge"
                    : parsed.challenges().stream().map(c -> c.method() + "/" + c.intent()).distinct().toList().toString();
            String rule = parsed.challenges().stream().anyMatch(c -> c.method().equals("stripe")) ? "intent" : "method";
            String why = "seller offers " + offered + "; the broker pays stripe/charge only"
                    + (parsed.rejected().isEmpty() ? "" : " (rejected: " + String.join("; ", parsed.rejected()) + ")");
            denyUnpayable(payment, response, rule, why);
            return Optional.empty();
        }
        try {
            ChargeRequest charge = chosen.get().chargeRequest();
            chosen.get().expiresAt(); // an unreadable expiry is a malformed challenge
            Offer offer = new Offer(chosen.get(), charge);
            return Optional.of(new Challenged(offer, entry(payment, "challenge_received", null,
                    "402 " + offer.amount().toPlainString() + " " + offer.currency() + " realm " + offer.challenge().realm(),
                    offer.amount(), offer.currency(), null, null, null, 402)));
        } catch (MppProtocolException e) {
            denyUnpayable(payment, response, "challenge", "seller's payment request is invalid: " + e.getMessage());
            return Optional.empty();
        }
    }

    private static String currencyOf(Challenge c) {
        try {
            return c.chargeRequest().currency();
        } catch (MppProtocolException e) {
            return "";
        }
    }

    private void denyUnpayable(Payment payment, SellerResponse response, String rule, String reason) {
        finish(payment.id, PaymentStatus.DENIED, p -> {
            keepResponse(p, response);
            Decision d = newDecision(p, Tier.DENY.name(), "policy", rule, reason, policyVersion(p.project), null, null, null);
        }, "decision", "DENY", reason, 402);
    }

    // ---- decide ------------------------------------------------------------------------------------

    /**
     * Policy and budgets decide under the project's ledger lock; an auto payment reserves its amount at once. In
     * observe mode the verdict is kept as {@code observed_*} on an AUTO decision with basis {@code autonomous}.
     */
    /** {@code received}: the challenge's audit line, recorded just before the decision's (null for a drop-in mint). */
    private Decided decide(String paymentId, PaymentTerms offer, AuditEntry received, Instant challengedAt) {
        Decided decided = QuarkusTransaction.requiringNew().call(() -> {
            Payment p = Payment.findById(paymentId);
            Instant now = clock.instant();
            rememberOffer(p, offer);
            p.updatedAt = now;
            Optional<ProjectPolicy> policy = policies.project(p.project);
            Verdict v;
            String version = "none";
            if (policy.isEmpty()) {
                v = new Verdict(Tier.DENY, "project", "project " + p.project + " has no valid policy loaded");
            } else {
                ledger.lockProject(p.project);
                Revisions.InForce inForce = revisions.inForce(p.project, p.task, p.sellerHost, now);
                v = PaymentPolicy.evaluate(policy.get(), facts(p, offer, policy.get(), now), inForce.overlays());
                version = inForce.policyVersion(policy.get().versionHash());
            }
            // Observe mode: the policy's verdict is recorded beside the decision, and the payment goes ahead.
            Verdict observed = policy.isPresent() && policy.get().observes() && ObserveMode.overrides(v) ? v : null;
            if (observed != null) v = ObserveMode.allow(observed);
            Decision d = newDecision(p, v.tier().name(), observed == null ? "policy" : ObserveMode.BASIS, v.rule(),
                    v.reason(), version, null, offer.amount(), offer.currency());
            if (observed != null) {
                d.observedTier = observed.tier().name();
                d.observedRule = observed.rule();
                d.observedReason = observed.reason();
            }
            AuditEntry line;
            switch (v.tier()) {
                case AUTO -> {
                    ledger.reserve(p.id, p.project, p.task, p.sellerHost, offer.amount(), offer.currency(), now);
                    line = lineUnder(version, p, "decision", "ALLOW", v.reason(), offer.amount(), offer.currency(), d.id, null, null, null);
                }
                case DENY -> {
                    p.status = PaymentStatus.DENIED;
                    line = lineUnder(version, p, "decision", "DENY", v.reason(), offer.amount(), offer.currency(), d.id, null, null, 403);
                }
                default -> {
                    hold(p, v.tier().name(), v.reason(), now);
                    line = lineUnder(version, p, "decision", "ASK", v.reason(), offer.amount(), offer.currency(), d.id, null, null, 202);
                }
            }
            // Audit last: the project lock and row locks above are taken before the chain's head (AuditTrail).
            if (received != null) audit.record(received);
            audit.record(line);
            return new Decided(v, version, v.tier() == Tier.AUTO ? null : viewOf(p));
        });
        Verdict verdict = decided.verdict();
        metrics.decided(Duration.between(challengedAt, clock.instant()));
        if (verdict.tier() != Tier.AUTO) {
            metrics.outcome(verdict.tier().name(), verdict.tier() == Tier.DENY ? PaymentStatus.DENIED : PaymentStatus.PENDING_APPROVAL);
            updates.changed(paymentId);
        }
        return decided;
    }

    private PaymentFacts facts(Payment p, PaymentTerms offer, ProjectPolicy policy, Instant now) {
        Spending spending = ledger.spending(p.project, p.task, p.sellerHost, offer.amount(),
                policy.recurring().amountTolerance(), policy.recurring().window(), now);
        Spend spent = spending.spent();
        return new PaymentFacts(offer.method(), offer.intent(), offer.amount(), offer.currency(), p.sellerHost, offer.realm(),
                Optional.ofNullable(offer.networkProfile()), p.task, spent.task(), spent.day(), spent.month(),
                spending.similarRecentPayments());
    }

    /**
     * After a human approval: the fresh challenge must be for the same seller and realm, in the same
     * currency, and at most the approved maximum. Hard policy limits (ceiling, denied sellers) still apply.
     */
    /** The ALLOW decision's policy version when authorized; {@code received} as in {@link #decide}. */
    private Optional<String> authorizeApproved(String paymentId, PaymentTerms offer, AuditEntry received) {
        Optional<String> authorized = QuarkusTransaction.requiringNew().call(() -> {
            Payment p = Payment.findById(paymentId);
            Instant now = clock.instant();
            Approval approval = Approval.findById(p.approvalId);
            BigDecimal approvedMax = p.approvedMaxAmount != null ? p.approvedMaxAmount : p.amount;
            Optional<String> misfit = misfit(p, offer, approvedMax);
            if (misfit.isPresent()) {
                rememberOffer(p, offer);
                hold(p, approval.tier, "fresh challenge no longer fits the approval: " + misfit.get(), now);
                if (received != null) audit.record(received);
                audit.record(entry(p, "decision", "ASK", p.reason, offer.amount(), offer.currency(), p.decisionId, null, null, 202));
                return Optional.<String>empty();
            }
            Optional<ProjectPolicy> policy = policies.project(p.project);
            if (policy.isEmpty()) {
                denyAfterApproval(p, offer, received, "project", "project " + p.project + " has no valid policy loaded", "none", now);
                return Optional.<String>empty();
            }
            ledger.lockProject(p.project);
            Revisions.InForce inForce = revisions.inForce(p.project, p.task, p.sellerHost, now);
            String version = inForce.policyVersion(policy.get().versionHash());
            Verdict hard = PaymentPolicy.evaluate(policy.get(), facts(p, offer, policy.get(), now), inForce.overlays());
            // A project switched to observe mode while this payment waited: its hard limits no longer block either.
            boolean waived = policy.get().observes() && ObserveMode.overrides(hard);
            if (hard.tier() == Tier.DENY && !waived) {
                denyAfterApproval(p, offer, received, hard.rule(), hard.reason(), version, now);
                return Optional.<String>empty();
            }
            rememberOffer(p, offer);
            Decision d = newDecision(p, approval.tier, "human", "approval", "approved by " + approval.decidedBy
                            + (approval.note == null ? "" : ": " + approval.note),
                    version, approval.decidedBy, offer.amount(), offer.currency());
            p.status = PaymentStatus.APPROVED;
            ledger.reserve(p.id, p.project, p.task, p.sellerHost, offer.amount(), offer.currency(), now);
            p.updatedAt = now;
            if (received != null) audit.record(received);
            audit.record(entry(p, "decision", "ALLOW", d.reason, offer.amount(), offer.currency(), d.id, approval.decidedBy, null, null));
            return Optional.of(version);
        });
        updates.changed(paymentId);
        return authorized;
    }

    private static Optional<String> misfit(Payment p, PaymentTerms offer, BigDecimal approvedMax) {
        if (p.realm != null && !p.realm.equals(offer.realm())) {
            return Optional.of("realm changed from " + p.realm + " to " + offer.realm());
        }
        if (p.networkProfile != null && !p.networkProfile.equals(offer.networkProfile())) {
            return Optional.of("seller profile changed from " + p.networkProfile + " to " + offer.networkProfile());
        }
        if (p.currency != null && !p.currency.equals(offer.currency())) {
            return Optional.of("currency changed from " + p.currency + " to " + offer.currency());
        }
        if (approvedMax != null && offer.amount().compareTo(approvedMax) > 0) {
            return Optional.of("seller now asks " + offer.amount().toPlainString() + " " + offer.currency()
                    + ", approved up to " + approvedMax.toPlainString());
        }
        return Optional.empty();
    }

    private void denyAfterApproval(Payment p, PaymentTerms offer, AuditEntry received, String rule, String reason,
                                   String policyVersion, Instant now) {
        Decision d = newDecision(p, Tier.DENY.name(), "policy", rule, reason, policyVersion, null, offer.amount(), offer.currency());
        p.status = PaymentStatus.DENIED;
        p.updatedAt = now;
        if (received != null) audit.record(received);
        audit.record(entry(p, "decision", "DENY", reason, offer.amount(), offer.currency(), d.id, null, null, 403));
        metrics.outcome(p.tier, PaymentStatus.DENIED);
    }

    // ---- hold --------------------------------------------------------------------------------------

    /** Parks the payment for a human: one open approval at a time, older ones superseded. */
    private void hold(Payment p, String tier, String reason, Instant now) {
        if (p.approvalId != null) {
            approvals.close(p.approvalId, Approval.Status.SUPERSEDED, now);
        }
        Approval approval = approvals.open(p.id, p.project, p.agent, tier, reason, now);
        p.status = PaymentStatus.PENDING_APPROVAL;
        p.tier = tier;
        p.reason = reason;
        p.approvalId = approval.id;
        p.approvedBy = null;
        p.approvalNote = null;
        p.approvedMaxAmount = null;
    }

    // ---- pay ---------------------------------------------------------------------------------------

    /** {@code payment}: as submitted (only its id, project and task are read); {@code policyVersion}: of the decision. */
    private PaymentView pay(Payment payment, SellerRequest request, Offer offer, String policyVersion) {
        String paymentId = payment.id;
        Instant expires = offer.challenge().expiresAt().orElse(clock.instant().plus(Duration.ofMinutes(5)));
        if (!expires.isAfter(clock.instant())) {
            return notCharged(payment.id, null, "challenge-expired", "the seller's challenge expired before it could be paid", null);
        }
        Optional<String> spt = mint(payment, offer.terms(), expires, policyVersion);
        if (spt.isEmpty()) {
            return view(paymentId);
        }
        Challenge challenge = offer.challenge();
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put(challenge.credentialHeaderName(), Credential.headerValue(challenge, spt.get(), Optional.empty()));
        headers.put(MppHeaders.ACCEPT_PAYMENT_HEADER, MppHeaders.ACCEPT_PAYMENT);
        SellerResponse response;
        try {
            response = seller.send(request, headers);
        } catch (SellerUnreachable e) {
            if (e.requestSent()) {
                // The seller may have charged the token. Never pay again: keep the money counted and reconcile.
                return finish(paymentId, PaymentStatus.CHARGED_NOT_DELIVERED, p -> {
                    ledger.capture(p.id, clock.instant());
                    p.failureCode = "seller-timeout";
                    p.failureDetail = e.getMessage() + " after the payment credential was sent; reconcile before retrying";
                }, "charged_not_delivered", null, e.getMessage(), null);
            }
            return notCharged(paymentId, spt.get(), "seller-unreachable", e.getMessage(), null);
        }
        return record(paymentId, spt.get(), offer, response);
    }

    /** Mints the SPT capped at exactly the challenged amount; the idempotency key makes a retried mint return the same token. */
    /** {@code policyVersion}: of the decision, for the audit line; null to read it from the decision. */
    private Optional<String> mint(Payment payment, PaymentTerms offer, Instant expires, String policyVersion) {
        Optional<ProjectPolicy> policy = policies.project(payment.project);
        MintRequest mint = new MintRequest(
                policy.map(ProjectPolicy::stripePaymentMethod).orElse(null),
                offer.currency(),
                offer.amountMinor(),
                expires,
                offer.networkProfile(),
                "mppb_" + payment.id + "_" + offer.challengeId(),
                Map.of("payment_id", payment.id, "project", payment.project, "task", payment.task));
        try {
            if (mint.paymentMethod() == null) {
                throw new StripeFailure("no_payment_method", 0, "project has no payment.stripe_payment_method", null);
            }
            String sptId = stripe.mint(mint).id();
            // Under the row lock: the settlement job may have failed the payment as interrupted meanwhile
            // (it locks the same row), and then this token must never be used.
            boolean stillOurs = QuarkusTransaction.requiringNew().call(() -> {
                Payment p = Payment.findById(payment.id, LockModeType.PESSIMISTIC_WRITE);
                boolean active = p.status == PaymentStatus.PROCESSING || p.status == PaymentStatus.APPROVED;
                // Recorded either way, so settlement follows the token if the revocation below fails.
                p.sptId = sptId;
                p.sptState = SptState.ACTIVE;
                p.sptMintedAt = clock.instant();
                p.sptExpiresAt = expires;
                p.updatedAt = clock.instant();
                String version = policyVersion != null ? policyVersion : decisionPolicyVersion(p.decisionId);
                audit.record(lineUnder(version, p, "spt_minted", null, "shared payment token minted, capped at "
                        + offer.amount().toPlainString() + " " + offer.currency()
                        + (active ? "" : "; the payment is already " + p.status.wire() + ": revoking it"),
                        offer.amount(), offer.currency(), p.decisionId, p.approvedBy, null, null));
                return active;
            });
            if (!stillOurs) {
                revokeUnused(payment.id, sptId);
                return Optional.empty();
            }
            return Optional.of(sptId);
        } catch (StripeFailure e) {
            notCharged(payment.id, null, "stripe-" + e.code(), "Stripe refused to mint the payment token: " + e.getMessage(), null);
            return Optional.empty();
        } catch (IllegalStateException e) {
            notCharged(payment.id, null, "stripe-not-configured", e.getMessage(), null);
            return Optional.empty();
        }
    }

    /** A token minted for a payment that ended meanwhile: revoke it; if Stripe cannot answer, settlement retries. */
    private void revokeUnused(String paymentId, String sptId) {
        try {
            SptStatus t = stripe.revoke(sptId);
            if (t.charged()) {
                return; // cannot happen (nobody was given it); left ACTIVE for settlement to judge
            }
            inTransaction(paymentId, p -> {
                p.sptState = t.expired() ? SptState.EXPIRED : SptState.REVOKED;
                p.sptAmountCapturedMinor = t.amountCapturedMinor();
                p.sptCheckedAt = clock.instant();
            });
        } catch (StripeFailure e) {
            LOG.warnf("payment %s: could not revoke a token minted after the payment ended (%s); the settlement job retries",
                    paymentId, e.code());
        }
    }

    // ---- record ------------------------------------------------------------------------------------

    private PaymentView record(String paymentId, String spt, Offer offer, SellerResponse response) {
        if (response.isSuccess()) {
            Optional<Receipt> receipt = response.first(MppHeaders.PAYMENT_RECEIPT_HEADER).flatMap(PaymentPipeline::parseReceipt);
            return finish(paymentId, PaymentStatus.PAID, p -> {
                ledger.capture(p.id, clock.instant());
                p.sptState = SptState.USED;
                keepResponse(p, response);
                receipt.ifPresent(r -> {
                    p.receiptReference = r.reference();
                    Map<String, Object> fields = new LinkedHashMap<>(r.extra());
                    fields.put("method", r.method());
                    fields.put("status", r.status());
                    fields.put("timestamp", r.timestamp());
                    fields.put("reference", r.reference());
                    p.receipt = fields;
                });
                if (receipt.isEmpty()) {
                    // Delivered and presumably charged, but unprovable from the seller's side: flag for reconciliation.
                    p.failureCode = "receipt-missing";
                    p.failureDetail = "seller answered " + response.status() + " without a valid Payment-Receipt";
                }
            }, "paid", "ALLOW", "paid " + offer.amount().toPlainString() + " " + offer.currency(), response.status());
        }
        if (response.status() == 402) {
            // A 402 to a credential means the seller did not take the money (spec: fresh challenge + problem).
            Optional<SellerProblem> problem = SellerProblem.parse(response.status(),
                    response.first("Content-Type").orElse(""), response.body());
            String code = problem.flatMap(SellerProblem::code).orElse("payment-required");
            String detail = "seller refused the payment (" + code + ")"
                    + problem.map(SellerProblem::detail).filter(d -> d != null && !d.isBlank()).map(d -> ": " + d).orElse("")
                    + freshAmountNote(offer, response);
            return notCharged(paymentId, spt, "seller-" + code, detail, response);
        }
        // Any other answer to a paid request leaves the money state unknown: record it, never re-pay.
        return finish(paymentId, PaymentStatus.CHARGED_NOT_DELIVERED, p -> {
            ledger.capture(p.id, clock.instant());
            keepResponse(p, response);
            p.failureCode = "seller-" + response.status();
            p.failureDetail = "seller answered " + response.status() + " to the paid request; reconcile before retrying";
        }, "charged_not_delivered", null, "seller answered " + response.status() + " to the paid request", response.status());
    }

    private static String freshAmountNote(Offer offer, SellerResponse response) {
        try {
            return ChallengeParser.chooseStripeCharge(ChallengeParser.parse(response.all(MppHeaders.WWW_AUTHENTICATE_HEADER)).challenges(), c -> true)
                    .map(Challenge::chargeRequest)
                    .filter(fresh -> fresh.amountMinor() != offer.charge().amountMinor() || !fresh.currency().equals(offer.currency()))
                    .map(fresh -> "; the seller now asks " + fresh.amountMajor().toPlainString() + " " + fresh.currency()
                            + " instead of " + offer.amount().toPlainString() + " " + offer.currency() + ", which was not authorized")
                    .orElse("");
        } catch (MppProtocolException e) {
            return "";
        }
    }

    private static Optional<Receipt> parseReceipt(String header) {
        try {
            return Optional.of(Receipt.parse(header));
        } catch (MppProtocolException e) {
            return Optional.empty();
        }
    }

    /** Nothing was charged: give the budget back and revoke the token so it can never be spent. */
    private PaymentView notCharged(String paymentId, String spt, String code, String detail, SellerResponse response) {
        Optional<SptStatus> revoked = Optional.empty();
        if (spt != null) {
            try {
                revoked = Optional.of(stripe.revoke(spt));
            } catch (StripeFailure e) {
                // The token stays ACTIVE: the settlement job revokes it (or records it expired) later.
                LOG.warnf("payment %s: could not revoke its payment token (%s); the settlement job retries", paymentId, e.code());
            }
        }
        Optional<SptStatus> token = revoked;
        return finish(paymentId, PaymentStatus.FAILED, p -> {
            // A revoked token that Stripe shows unspent can never move money; anything else is left to settlement.
            token.filter(t -> !t.charged()).ifPresent(t -> {
                p.sptState = t.expired() ? SptState.EXPIRED : SptState.REVOKED;
                p.sptAmountCapturedMinor = t.amountCapturedMinor();
                p.sptCheckedAt = clock.instant();
            });
            ledger.release(p.id, clock.instant());
            if (response != null) {
                keepResponse(p, response);
            }
            p.failureCode = code;
            p.failureDetail = detail;
        }, "failed", null, detail, response == null ? null : response.status());
    }

    // ---- shared helpers ----------------------------------------------------------------------------

    /** The payment's last step: its outcome, and the view of the payment read in the same transaction. */
    private PaymentView finish(String paymentId, PaymentStatus status, Consumer<Payment> change, String event, String decision,
                               String reason, Integer httpStatus) {
        Finished finished = QuarkusTransaction.requiringNew().call(() -> {
            Payment p = Payment.findById(paymentId);
            p.updatedAt = clock.instant();
            change.accept(p);
            p.status = status;
            AuditEntry line = entry(p, event, decision, reason, p.amount, p.currency, p.decisionId, p.approvedBy,
                    p.receiptReference, httpStatus);
            // Read what the view needs before the audit line locks the chain's head, so it is held for less.
            Approval approval = p.approvalId == null ? null : Approval.findById(p.approvalId);
            audit.record(line);
            return new Finished(p.tier, PaymentView.of(p, approval));
        });
        metrics.outcome(finished.tier(), status);
        updates.changed(paymentId);
        return finished.view();
    }

    private record Finished(String tier, PaymentView view) {}

    /** One transaction on the payment; the audit line, if any, is the last thing {@code change} does. */
    private void inTransaction(String paymentId, Consumer<Payment> change) {
        QuarkusTransaction.requiringNew().run(() -> {
            Payment p = Payment.findById(paymentId);
            p.updatedAt = clock.instant();
            change.accept(p);
        });
    }

    private static PaymentView view(String paymentId) {
        return QuarkusTransaction.requiringNew().call(() -> viewOf(Payment.findById(paymentId)));
    }

    /** Inside a transaction. */
    private static PaymentView viewOf(Payment p) {
        return PaymentView.of(p, p.approvalId == null ? null : Approval.findById(p.approvalId));
    }

    private Decision newDecision(Payment p, String tier, String basis, String rule, String reason, String policyVersion,
                                 String decidedBy, BigDecimal amount, String currency) {
        return Decision.record(p, tier, basis, rule, reason, policyVersion, decidedBy, amount, currency, clock.instant());
    }


    private static void rememberOffer(Payment p, PaymentTerms offer) {
        p.realm = offer.realm();
        p.challengeId = offer.challengeId();
        p.amount = offer.amount();
        p.amountMinor = offer.amountMinor();
        p.currency = offer.currency();
        p.networkProfile = offer.networkProfile();
    }

    private static void keepResponse(Payment p, SellerResponse response) {
        p.responseStatus = response.status();
        p.responseHeaders = response.headers();
        p.responseBody = response.body();
    }

    /** The policy version in force for the project now (file plus active overlays). Inside a transaction. */
    String policyVersion(String project) {
        return policies.project(project)
                .map(p -> PolicyVersion.of(p.versionHash(), revisions.activeHashes(project, clock.instant())))
                .orElse("none");
    }

    public AuditEntry entry(Payment p, String event, String decision, String reason, BigDecimal amount, String currency,
                     String decisionId, String approvedBy, String receiptReference, Integer httpStatus) {
        return lineUnder(decisionPolicyVersion(decisionId), p, event, decision, reason, amount, currency, decisionId,
                approvedBy, receiptReference, httpStatus);
    }

    /** As {@link #entry}, when the decision's policy version is at hand (no read of the decision). */
    private AuditEntry lineUnder(String policyVersion, Payment p, String event, String decision, String reason,
                                 BigDecimal amount, String currency, String decisionId, String approvedBy,
                                 String receiptReference, Integer httpStatus) {
        return new AuditEntry(clock.instant(), event, p.agent, p.project, p.task, AuditTrail.ACTION_PAY, p.requestUrl,
                decision, reason, amount, currency, p.id, decisionId, approvedBy, receiptReference, httpStatus,
                policyVersion);
    }

    /** The policy version the named decision was made under (as stored on it), so the audit line and the decision agree. */
    private static String decisionPolicyVersion(String decisionId) {
        Decision d = decisionId == null ? null : Decision.findById(decisionId);
        return d == null ? null : d.policyVersion;
    }

    private static Payment load(String paymentId) {
        return QuarkusTransaction.requiringNew().call(() -> Payment.<Payment>findById(paymentId));
    }

    static SellerRequest sellerRequest(Payment p) {
        return new SellerRequest(p.requestMethod, URI.create(p.requestUrl), p.requestHeaders, p.requestBody);
    }
}
