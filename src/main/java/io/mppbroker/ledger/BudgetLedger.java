package io.mppbroker.ledger;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;

/**
 * The budget ledger. Budget checks and reservations happen under a per-project PostgreSQL advisory lock
 * held until the transaction ends, so "read what was spent, decide, reserve" is one atomic step even
 * across broker nodes: concurrent payments of one project cannot overspend. Day and month windows are
 * UTC calendar days and months.
 */
@ApplicationScoped
public class BudgetLedger {

    private final EntityManager em;

    public BudgetLedger(EntityManager em) {
        this.em = em;
    }

    /** Serializes budget decisions of one project until the current transaction commits or rolls back. */
    @Transactional(Transactional.TxType.MANDATORY)
    public void lockProject(String project) {
        em.createNativeQuery("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))")
                .setParameter("key", "budget:" + project)
                .getSingleResult();
    }

    @Transactional(Transactional.TxType.MANDATORY)
    public Spend spent(String project, String task, Instant now) {
        ZonedDateTime utc = now.atZone(ZoneOffset.UTC);
        Instant dayStart = utc.truncatedTo(ChronoUnit.DAYS).toInstant();
        Instant monthStart = utc.withDayOfMonth(1).truncatedTo(ChronoUnit.DAYS).toInstant();
        Object[] row = (Object[]) em.createNativeQuery("""
                SELECT coalesce(sum(amount) FILTER (WHERE task = :task), 0),
                       coalesce(sum(amount) FILTER (WHERE created_at >= :dayStart), 0),
                       coalesce(sum(amount) FILTER (WHERE created_at >= :monthStart), 0)
                  FROM budget_reservation
                 WHERE project = :project AND state <> 'RELEASED'
                   AND (task = :task OR created_at >= :monthStart)
                """)
                .setParameter("project", project)
                .setParameter("task", task)
                .setParameter("dayStart", dayStart)
                .setParameter("monthStart", monthStart)
                .getSingleResult();
        return new Spend((BigDecimal) row[0], (BigDecimal) row[1], (BigDecimal) row[2]);
    }

    /** Earlier payments to the same seller within the window whose amount is within tolerance of this one. */
    @Transactional(Transactional.TxType.MANDATORY)
    public int similarRecentPayments(String project, String sellerHost, BigDecimal amount, BigDecimal tolerance,
                                     Duration window, Instant now) {
        BigDecimal low = amount.subtract(amount.multiply(tolerance));
        BigDecimal high = amount.add(amount.multiply(tolerance));
        Number count = (Number) em.createNativeQuery("""
                SELECT count(*) FROM budget_reservation
                 WHERE project = :project AND seller_host = :host AND state <> 'RELEASED'
                   AND created_at >= :since AND amount BETWEEN :low AND :high
                """)
                .setParameter("project", project)
                .setParameter("host", sellerHost)
                .setParameter("since", now.minus(window))
                .setParameter("low", low)
                .setParameter("high", high)
                .getSingleResult();
        return count.intValue();
    }

    @Transactional(Transactional.TxType.MANDATORY)
    public void reserve(String paymentId, String project, String task, String sellerHost, BigDecimal amount,
                        String currency, Instant now) {
        BudgetReservation r = BudgetReservation.forPayment(paymentId).orElseGet(BudgetReservation::new);
        r.paymentId = paymentId;
        r.project = project;
        r.task = task;
        r.sellerHost = sellerHost;
        r.amount = amount;
        r.currency = currency;
        r.state = BudgetReservation.State.RESERVED;
        r.createdAt = r.createdAt == null ? now : r.createdAt;
        r.updatedAt = now;
        r.persist();
    }

    /** The money moved (or may have moved): the reservation stays counted for good. */
    @Transactional(Transactional.TxType.MANDATORY)
    public void capture(String paymentId, Instant now) {
        BudgetReservation.forPayment(paymentId).ifPresent(r -> {
            r.state = BudgetReservation.State.CAPTURED;
            r.updatedAt = now;
        });
    }

    /** Nothing was charged: the budget is given back. */
    @Transactional(Transactional.TxType.MANDATORY)
    public void release(String paymentId, Instant now) {
        BudgetReservation.forPayment(paymentId).ifPresent(r -> {
            if (r.state == BudgetReservation.State.RESERVED) {
                r.state = BudgetReservation.State.RELEASED;
                r.updatedAt = now;
            }
        });
    }

    /**
     * Stripe confirmed that nothing was charged for a payment whose reservation was kept counted while that was
     * unknown (captured as a precaution): the budget is given back.
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public void releaseUncharged(String paymentId, Instant now) {
        BudgetReservation.forPayment(paymentId).ifPresent(r -> {
            if (r.state != BudgetReservation.State.RELEASED) {
                r.state = BudgetReservation.State.RELEASED;
                r.updatedAt = now;
            }
        });
    }

    @Transactional(Transactional.TxType.MANDATORY)
    public BigDecimal capturedTotal(String project) {
        return (BigDecimal) em.createNativeQuery(
                        "SELECT coalesce(sum(amount), 0) FROM budget_reservation WHERE project = :p AND state = 'CAPTURED'")
                .setParameter("p", project)
                .getSingleResult();
    }
}
