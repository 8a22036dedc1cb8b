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

    /**
     * The budget facts of one decision in one statement: what was spent in each window (as {@link #spent}) and how
     * many earlier payments to the same seller within {@code window} were within {@code tolerance} of this amount
     * (the recurring rule). Both read the partial indexes {@code budget_reservation_task} and
     * {@code budget_reservation_window} (V7). Call it after {@link #lockProject}, in a statement of its own: a
     * statement sees what was committed when it started, so the lock has to be held before this one starts.
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public Spending spending(String project, String task, String sellerHost, BigDecimal amount, BigDecimal tolerance,
                             Duration window, Instant now) {
        ZonedDateTime utc = now.atZone(ZoneOffset.UTC);
        Instant dayStart = utc.truncatedTo(ChronoUnit.DAYS).toInstant();
        Instant monthStart = utc.withDayOfMonth(1).truncatedTo(ChronoUnit.DAYS).toInstant();
        Instant since = now.minus(window);
        Object[] row = (Object[]) em.createNativeQuery(SPENDING_SQL)
                .setParameter("project", project)
                .setParameter("task", task)
                .setParameter("host", sellerHost)
                .setParameter("dayStart", dayStart)
                .setParameter("monthStart", monthStart)
                .setParameter("since", since)
                .setParameter("from", since.isBefore(monthStart) ? since : monthStart)
                .setParameter("low", amount.subtract(amount.multiply(tolerance)))
                .setParameter("high", amount.add(amount.multiply(tolerance)))
                .getSingleResult();
        return new Spending(new Spend((BigDecimal) row[0], (BigDecimal) row[1], (BigDecimal) row[2]),
                ((Number) row[3]).intValue());
    }

    static final String SPENDING_SQL = """
            SELECT coalesce(sum(amount) FILTER (WHERE task = :task), 0),
                   coalesce(sum(amount) FILTER (WHERE created_at >= :dayStart), 0),
                   coalesce(sum(amount) FILTER (WHERE created_at >= :monthStart), 0),
                   count(*) FILTER (WHERE seller_host = :host AND created_at >= :since AND amount BETWEEN :low AND :high)
              FROM budget_reservation
             WHERE project = :project AND state <> 'RELEASED'
               AND (task = :task OR created_at >= :from)
            """;

    /** Sets the payment's amount aside (again, after an approval: the same row is reserved anew). One statement. */
    @Transactional(Transactional.TxType.MANDATORY)
    public void reserve(String paymentId, String project, String task, String sellerHost, BigDecimal amount,
                        String currency, Instant now) {
        em.createNativeQuery("""
                INSERT INTO budget_reservation (payment_id, project, task, seller_host, amount, currency, state, created_at, updated_at)
                VALUES (:payment, :project, :task, :host, :amount, :currency, 'RESERVED', :now, :now)
                ON CONFLICT (payment_id) DO UPDATE
                   SET project = excluded.project, task = excluded.task, seller_host = excluded.seller_host,
                       amount = excluded.amount, currency = excluded.currency, state = 'RESERVED', updated_at = excluded.updated_at
                """)
                .setParameter("payment", paymentId)
                .setParameter("project", project)
                .setParameter("task", task)
                .setParameter("host", sellerHost)
                .setParameter("amount", amount)
                .setParameter("currency", currency)
                .setParameter("now", now)
                .executeUpdate();
    }

    /** The money moved (or may have moved): the reservation stays counted for good. */
    @Transactional(Transactional.TxType.MANDATORY)
    public void capture(String paymentId, Instant now) {
        setState(paymentId, BudgetReservation.State.CAPTURED, null, now);
    }

    /** Nothing was charged: the budget is given back. */
    @Transactional(Transactional.TxType.MANDATORY)
    public void release(String paymentId, Instant now) {
        setState(paymentId, BudgetReservation.State.RELEASED, BudgetReservation.State.RESERVED, now);
    }

    /**
     * Stripe confirmed that nothing was charged for a payment whose reservation was kept counted while that was
     * unknown (captured as a precaution): the budget is given back.
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public void releaseUncharged(String paymentId, Instant now) {
        setState(paymentId, BudgetReservation.State.RELEASED, null, now);
    }

    /** One UPDATE (no read first); {@code onlyFrom} restricts it to reservations in that state. */
    private void setState(String paymentId, BudgetReservation.State to, BudgetReservation.State onlyFrom, Instant now) {
        if (onlyFrom == null) {
            BudgetReservation.update("state = ?1, updatedAt = ?2 where paymentId = ?3 and state <> ?1", to, now, paymentId);
        } else {
            BudgetReservation.update("state = ?1, updatedAt = ?2 where paymentId = ?3 and state = ?4", to, now, paymentId, onlyFrom);
        }
    }

    @Transactional(Transactional.TxType.MANDATORY)
    public BigDecimal capturedTotal(String project) {
        return (BigDecimal) em.createNativeQuery(
                        "SELECT coalesce(sum(amount), 0) FROM budget_reservation WHERE project = :p AND state = 'CAPTURED'")
                .setParameter("p", project)
                .getSingleResult();
    }
}
