package io.mppbroker.settlement;

import io.mppbroker.audit.AuditTrail;
import io.mppbroker.events.Changes;
import io.mppbroker.ledger.BudgetLedger;
import io.mppbroker.ledger.Money;
import io.mppbroker.mpp.ChargeRequest;
import io.mppbroker.payment.Payment;
import io.mppbroker.payment.PaymentMetrics;
import io.mppbroker.payment.PaymentPipeline;
import io.mppbroker.payment.PaymentStatus;
import io.mppbroker.payment.SptState;
import io.mppbroker.stripe.SptMinter;
import io.mppbroker.stripe.SptStatus;
import io.mppbroker.stripe.StripeFailure;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * Resolves payments whose money state is unknown, and follows every minted token until it can no longer move
 * money. It asks Stripe only: it never mints, never calls a seller, never retries a payment, so nothing is
 * paid twice.
 * <p>
 * A payment is taken up while its token is {@link SptState#ACTIVE} and the payment is final (typically
 * {@code charged_not_delivered}, or {@code failed} with a token that could not be revoked at the time) or has
 * been left processing/approved for {@code broker.settlement.stale-after}. Stripe's view of the token decides:
 * <ul>
 *   <li>an amount was captured: the money moved. A payment without a delivery becomes
 *       {@link PaymentStatus#PAID_UNDELIVERED} and its budget stays (or becomes again) captured;</li>
 *   <li>nothing was captured and the token is still usable: it is revoked first, then Stripe's answer to the
 *       revocation decides as above (a charge racing the revocation is seen there);</li>
 *   <li>nothing was captured and the token is revoked or expired: nothing can be charged any more. A payment
 *       whose outcome was unknown becomes {@code failed} and its budget is released; a failed one stays failed
 *       with its token recorded as revoked or expired.</li>
 * </ul>
 * A payment left processing/approved with no token for {@code stale-after} is failed as {@code interrupted}
 * (the node handling it stopped before minting; no money moved) and its budget released.
 * <p>
 * Several nodes may run this at once: rows are claimed with {@code FOR UPDATE SKIP LOCKED} for
 * {@code broker.settlement.claim}, Stripe is called outside any transaction, and the result is applied under
 * the row lock only if the payment did not change meanwhile. Every change is an audit line.
 */
@ApplicationScoped
public class Settlement {

    /** What happened to one payment in one run. */
    public enum Result {
        /** SPT drop-in: Stripe shows the token the agent was given charged; the minted payment is {@code paid}. */
        PAID,
        /** Stripe shows the token charged: the payment is {@code paid_undelivered}. */
        PAID_UNDELIVERED,
        /** Stripe shows the token never charged and no longer usable: the unknown payment is {@code failed}, budget released. */
        NOT_CHARGED,
        /** A failed payment's unused token is now revoked. */
        REVOKED,
        /** A failed payment's unused token expired. */
        EXPIRED,
        /** Stripe could not answer; retried later with a growing wait. */
        RETRY,
        /** The payment changed while Stripe was asked; the next run looks again. */
        SKIPPED,
        /** The node handling the payment stopped before a token was minted: {@code failed} (interrupted), budget released. */
        INTERRUPTED
    }

    public record Outcome(String paymentId, Result result) {}

    static final String EVENT_SETTLED = "settled";
    static final String EVENT_SPT_REVOKED = "spt_revoked";
    static final String EVENT_SPT_EXPIRED = "spt_expired";
    public static final String FAILURE_INTERRUPTED = "interrupted";
    static final String INTERRUPTED_DETAIL =
            "the node handling it stopped before any payment token was minted; no money moved";

    private static final Logger LOG = Logger.getLogger(Settlement.class);
    private static final Duration FIRST_RETRY = Duration.ofSeconds(30);
    /** Statuses in which the pipeline is done with a payment; any other is settled only once stale. */
    private static final Set<PaymentStatus> FINAL = Set.of(PaymentStatus.CHARGED_NOT_DELIVERED, PaymentStatus.FAILED,
            PaymentStatus.DENIED, PaymentStatus.WITHDRAWN, PaymentStatus.NOT_REQUIRED, PaymentStatus.PAID,
            PaymentStatus.PAID_UNDELIVERED);
    // A token minted for an agent (status MINTED) is the agent's to spend until it expires; only then does Stripe's
    // view of it settle the payment: charged is paid, anything else failed with the budget released.

    private final EntityManager em;
    private final SptMinter stripe;
    private final BudgetLedger ledger;
    private final AuditTrail audit;
    private final PaymentPipeline pipeline;
    private final Changes updates;
    private final PaymentMetrics metrics;
    private final SettlementConfig config;
    private final Clock clock = Clock.systemUTC();

    public Settlement(EntityManager em, SptMinter stripe, BudgetLedger ledger, AuditTrail audit, PaymentPipeline pipeline,
                      Changes updates, PaymentMetrics metrics, SettlementConfig config) {
        this.em = em;
        this.stripe = stripe;
        this.ledger = ledger;
        this.audit = audit;
        this.pipeline = pipeline;
        this.updates = updates;
        this.metrics = metrics;
        this.config = config;
    }

    /** One pass: claims a batch of payments and settles each. Returns what happened, for tests and logs. */
    public List<Outcome> runOnce() {
        List<Outcome> outcomes = new ArrayList<>(failInterrupted());
        for (Claim claim : claim()) {
            outcomes.add(settle(claim));
        }
        return outcomes;
    }

    /**
     * Payments left processing/approved without a token for {@code stale-after}: the node working on them died
     * before minting, so no money can have moved. They fail in one transaction under the row lock; the pipeline
     * records a token only while the payment is still processing/approved, so a late mint is revoked there.
     * An approved drop-in mint is excluded: it legitimately waits for the agent to ask again.
     */
    private List<Outcome> failInterrupted() {
        Instant now = clock.instant();
        List<Payment> failed = QuarkusTransaction.requiringNew().call(() -> {
            @SuppressWarnings("unchecked")
            List<String> ids = em.createNativeQuery("""
                    SELECT id FROM payment
                     WHERE spt_id IS NULL AND updated_at < :staleBefore
                       AND (status = 'PROCESSING' OR (status = 'APPROVED' AND kind = 'FETCH'))
                     ORDER BY updated_at
                     LIMIT :batch
                     FOR UPDATE SKIP LOCKED
                    """)
                    .setParameter("staleBefore", now.minus(config.staleAfter()))
                    .setParameter("batch", config.batchSize())
                    .getResultList();
            List<Payment> done = new ArrayList<>();
            for (String id : ids) {
                Payment p = em.find(Payment.class, id);
                PaymentStatus before = p.status;
                p.status = PaymentStatus.FAILED;
                p.failureCode = FAILURE_INTERRUPTED;
                p.failureDetail = INTERRUPTED_DETAIL;
                p.settledAt = now;
                p.updatedAt = now;
                ledger.release(p.id, now);
                audit.record(pipeline.entry(p, EVENT_SETTLED, null, before.wire() + " -> failed: " + INTERRUPTED_DETAIL
                        + "; budget released", p.amount, p.currency, p.decisionId, p.approvedBy, null, null));
                done.add(p);
            }
            return done;
        });
        for (Payment p : failed) {
            LOG.warnf("settlement: payment %s was abandoned by a node that stopped before minting; failed (interrupted)", p.id);
            metrics.outcome(p.tier, PaymentStatus.FAILED);
            updates.changed(p.id);
        }
        return failed.stream().map(p -> new Outcome(p.id, Result.INTERRUPTED)).toList();
    }

    private record Claim(String paymentId, String sptId, long version) {}

    private List<Claim> claim() {
        Instant now = clock.instant();
        return QuarkusTransaction.requiringNew().call(() -> {
            @SuppressWarnings("unchecked")
            List<Object[]> rows = em.createNativeQuery("""
                    UPDATE payment SET settlement_claimed_until = :until
                     WHERE id IN (SELECT id FROM payment
                                   WHERE spt_state = 'ACTIVE' AND spt_id IS NOT NULL
                                     AND (status IN (:final)
                                          OR (status = 'MINTED' AND spt_expires_at < :now)
                                          OR (status <> 'MINTED' AND updated_at < :staleBefore))
                                     AND (settlement_next_at IS NULL OR settlement_next_at <= :now)
                                     AND (settlement_claimed_until IS NULL OR settlement_claimed_until < :now)
                                   ORDER BY updated_at
                                   LIMIT :batch
                                   FOR UPDATE SKIP LOCKED)
                    RETURNING id, spt_id, version
                    """)
                    .setParameter("until", now.plus(config.claim()))
                    .setParameter("final", FINAL.stream().map(Enum::name).toList())
                    .setParameter("staleBefore", now.minus(config.staleAfter()))
                    .setParameter("now", now)
                    .setParameter("batch", config.batchSize())
                    .getResultList();
            return rows.stream().map(r -> new Claim((String) r[0], (String) r[1], ((Number) r[2]).longValue())).toList();
        });
    }

    private Outcome settle(Claim claim) {
        SptStatus token;
        try {
            token = stripe.status(claim.sptId());
            if (!token.charged() && token.active()) {
                // Never spent so far: make sure it never is. Stripe's answer to the revocation is the final word.
                token = stripe.revoke(claim.sptId());
            }
        } catch (StripeFailure | RuntimeException e) {
            String code = e instanceof StripeFailure f ? f.code() : "error";
            LOG.warnf("settlement of payment %s: Stripe could not tell whether its token was charged (%s); retrying later",
                    claim.paymentId(), code);
            retryLater(claim, code + ": " + e.getMessage());
            return new Outcome(claim.paymentId(), Result.RETRY);
        }
        SptStatus known = token;
        Outcome outcome = QuarkusTransaction.requiringNew().call(() -> apply(claim, known));
        if (outcome.result() != Result.SKIPPED) {
            updates.changed(claim.paymentId());
        }
        return outcome;
    }

    private Outcome apply(Claim claim, SptStatus token) {
        Instant now = clock.instant();
        Payment p = em.find(Payment.class, claim.paymentId(), LockModeType.PESSIMISTIC_WRITE);
        if (p == null || p.version != claim.version() || p.sptState != SptState.ACTIVE
                || !Objects.equals(p.sptId, claim.sptId())) {
            release(claim.paymentId());
            return new Outcome(claim.paymentId(), Result.SKIPPED);
        }
        PaymentStatus before = p.status;
        p.sptAmountCapturedMinor = token.amountCapturedMinor();
        p.sptCheckedAt = now;
        String captured = describe(token.amountCapturedMinor(), token.currency() != null ? token.currency() : p.currency);
        Result result;
        String event;
        String reason;
        if (token.charged()) {
            p.sptState = SptState.USED;
            if (before == PaymentStatus.MINTED) {
                // SPT drop-in: the agent paid the seller itself, so a charged token is the payment done. Stripe's
                // token view does not name the seller's PaymentIntent: the receipt the agent reports links it.
                p.status = PaymentStatus.PAID;
                ledger.capture(p.id, now);
            } else if (before != PaymentStatus.PAID && before != PaymentStatus.PAID_UNDELIVERED) {
                p.status = PaymentStatus.PAID_UNDELIVERED;
                ledger.capture(p.id, now);
                p.failureDetail = "Stripe shows " + captured + " captured with the payment token but the seller did not deliver"
                        + (p.failureDetail == null ? "" : " (" + p.failureDetail + ")")
                        + ". The broker does not pay again: ask the seller to deliver or refund.";
            }
            result = before == PaymentStatus.MINTED ? Result.PAID : Result.PAID_UNDELIVERED;
            event = EVENT_SETTLED;
            reason = "Stripe shows " + captured + " captured with the payment token: " + before.wire() + " -> "
                    + p.status.wire() + "; budget captured; nothing paid again";
        } else {
            p.sptState = token.expired() ? SptState.EXPIRED : SptState.REVOKED;
            String tokenEnd = "the payment token was never charged and is now " + token.deactivatedReason();
            boolean outcomeUnknown = before == PaymentStatus.CHARGED_NOT_DELIVERED || !before.isFinal();
            if (!outcomeUnknown) {
                result = p.sptState == SptState.EXPIRED ? Result.EXPIRED : Result.REVOKED;
                event = p.sptState == SptState.EXPIRED ? EVENT_SPT_EXPIRED : EVENT_SPT_REVOKED;
                reason = tokenEnd + " (payment stays " + before.wire() + ")";
            } else {
                p.status = PaymentStatus.FAILED;
                ledger.releaseUncharged(p.id, now);
                p.failureCode = p.failureCode == null ? "not-charged" : p.failureCode;
                p.failureDetail = "Stripe shows " + tokenEnd + ": nothing was paid"
                        + (p.failureDetail == null ? "" : " (" + p.failureDetail + ")");
                result = Result.NOT_CHARGED;
                event = EVENT_SETTLED;
                reason = tokenEnd + ": " + before.wire() + " -> failed; budget released";
            }
        }
        if (p.status != before) {
            p.settledAt = now;
        }
        p.updatedAt = now;
        release(p.id);
        audit.record(pipeline.entry(p, event, null, reason, p.amount, p.currency, p.decisionId, p.approvedBy,
                p.receiptReference, null));
        if (p.status != before) {
            metrics.outcome(p.tier, p.status);
        }
        return new Outcome(p.id, result);
    }

    private void retryLater(Claim claim, String error) {
        QuarkusTransaction.requiringNew().run(() -> {
            Number attempts = (Number) em.createNativeQuery("SELECT settlement_attempts FROM payment WHERE id = :id")
                    .setParameter("id", claim.paymentId()).getSingleResult();
            int next = attempts.intValue() + 1;
            Duration wait = FIRST_RETRY.multipliedBy(1L << Math.min(next - 1, 20));
            if (wait.compareTo(config.maxBackoff()) > 0) {
                wait = config.maxBackoff();
            }
            em.createNativeQuery("""
                    UPDATE payment SET settlement_attempts = :attempts, settlement_next_at = :next,
                                       settlement_error = :error, settlement_claimed_until = NULL
                     WHERE id = :id
                    """)
                    .setParameter("attempts", next)
                    .setParameter("next", clock.instant().plus(wait))
                    .setParameter("error", error.length() > 500 ? error.substring(0, 500) : error)
                    .setParameter("id", claim.paymentId())
                    .executeUpdate();
        });
    }

    /** Ends this node's claim; the bookkeeping columns are not mapped, so they are written here. */
    private void release(String paymentId) {
        em.flush();
        em.createNativeQuery("""
                UPDATE payment SET settlement_claimed_until = NULL, settlement_next_at = NULL, settlement_error = NULL
                 WHERE id = :id
                """)
                .setParameter("id", paymentId)
                .executeUpdate();
    }

    private static String describe(long minor, String currency) {
        if (currency == null) {
            return minor + " (minor units)";
        }
        return Money.format(BigDecimal.valueOf(minor, ChargeRequest.fractionDigits(currency)), currency) + " " + currency;
    }
}
