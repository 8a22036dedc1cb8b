package io.mppbroker.ledger;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.jboss.logging.Logger;
import org.junit.jupiter.api.Test;

/**
 * The budget check a decision makes ({@link BudgetLedger#spending}) reads the partial indexes of V7 instead of
 * the whole table. V1's indexes said {@code state <> 'released'} while the rows hold {@code 'RELEASED'}, so the
 * planner could not use them; this proves it now can, on a ledger of 20,000 reservations (50 projects, a fifth
 * of them released), with PostgreSQL's own plan. Everything is rolled back.
 */
@QuarkusTest
class BudgetIndexesTest {

    private static final Logger LOG = Logger.getLogger(BudgetIndexesTest.class);

    @Inject
    EntityManager em;

    @Test
    void theBudgetCheckUsesThePartialIndexes() {
        QuarkusTransaction.begin();
        try {
            em.createNativeQuery("""
                    INSERT INTO payment (id, project, agent, task, request_hash, request_method, request_url, request_headers, status)
                    SELECT 'pay_explain_' || g, 'explain-' || (g % 50), 'agent', 'task-' || (g % 2000), 'h', 'GET',
                           'https://seller.example/', '{}'::jsonb, 'PAID'
                      FROM generate_series(1, 20000) g""").executeUpdate();
            em.createNativeQuery("""
                    INSERT INTO budget_reservation (payment_id, project, task, seller_host, amount, currency, state, created_at, updated_at)
                    SELECT id, project, task, 'seller.example', 1.50, 'usd',
                           CASE WHEN substr(id, 13)::int % 5 = 0 THEN 'RELEASED' ELSE 'CAPTURED' END,
                           now() - (substr(id, 13)::int % 90) * interval '1 day', now()
                      FROM payment WHERE id LIKE 'pay_explain_%'""").executeUpdate();
            em.createNativeQuery("ANALYZE budget_reservation").executeUpdate();

            Instant now = Instant.now();
            Instant monthStart = now.atZone(ZoneOffset.UTC).withDayOfMonth(1).truncatedTo(ChronoUnit.DAYS).toInstant();
            Instant since = now.minus(7, ChronoUnit.DAYS);
            @SuppressWarnings("unchecked")
            List<String> rows = em.createNativeQuery("EXPLAIN " + BudgetLedger.SPENDING_SQL)
                    .setParameter("project", "explain-7")
                    .setParameter("task", "task-7")
                    .setParameter("host", "seller.example")
                    .setParameter("dayStart", now.truncatedTo(ChronoUnit.DAYS))
                    .setParameter("monthStart", monthStart)
                    .setParameter("since", since)
                    .setParameter("from", since.isBefore(monthStart) ? since : monthStart)
                    .setParameter("low", new BigDecimal("1.35"))
                    .setParameter("high", new BigDecimal("1.65"))
                    .getResultList();
            String plan = String.join("\n", rows);
            LOG.info("plan of the budget check:\n" + plan);
            assertTrue(plan.contains("budget_reservation_task"), plan);
            assertTrue(plan.contains("budget_reservation_window"), plan);
            assertFalse(plan.contains("Seq Scan"), plan);
        } finally {
            QuarkusTransaction.rollback();
        }
    }
}
