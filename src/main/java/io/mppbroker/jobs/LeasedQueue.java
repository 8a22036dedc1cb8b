package io.mppbroker.jobs;

import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.persistence.EntityManager;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongConsumer;
import org.jboss.logging.Logger;

/**
 * A delivery queue in a table with {@code id}, {@code status} ({@code PENDING}, {@code SENDING}, ...) and
 * {@code next_attempt_at}. Rows are claimed with {@code FOR UPDATE SKIP LOCKED} and a lease, so several nodes can
 * drain the same table and a node that dies mid-delivery only delays its rows (they are claimed again once the
 * lease ends). One drain at a time per node; a wake-up during a drain makes it run once more.
 */
public final class LeasedQueue {

    private static final Logger LOG = Logger.getLogger(LeasedQueue.class);

    private final String table;
    private final Duration lease;
    private final int batch;
    private final EntityManager em;
    private final AtomicBoolean draining = new AtomicBoolean();
    private final AtomicBoolean again = new AtomicBoolean();

    /** @param table a constant table name, never input */
    public LeasedQueue(String table, Duration lease, int batch, EntityManager em) {
        this.table = table;
        this.lease = lease;
        this.batch = batch;
        this.em = em;
    }

    /** Hands every due row to {@code deliver} (outside any transaction), until none is due. */
    public void drain(LongConsumer deliver) {
        if (!draining.compareAndSet(false, true)) {
            again.set(true);
            return;
        }
        try {
            do {
                again.set(false);
                List<Long> claimed;
                while (!(claimed = claim()).isEmpty()) {
                    claimed.forEach(deliver::accept);
                }
            } while (again.get());
        } catch (RuntimeException e) {
            LOG.errorf("%s delivery interrupted: %s", table, e.getMessage());
        } finally {
            draining.set(false);
        }
    }

    @SuppressWarnings("unchecked")
    private List<Long> claim() {
        return QuarkusTransaction.requiringNew().call(() -> {
            Instant now = Instant.now();
            List<Number> ids = em.createNativeQuery("SELECT id FROM " + table
                            + " WHERE status IN ('PENDING', 'SENDING') AND next_attempt_at <= :now"
                            + " ORDER BY id LIMIT :batch FOR UPDATE SKIP LOCKED")
                    .setParameter("now", now).setParameter("batch", batch).getResultList();
            List<Long> claimed = ids.stream().map(Number::longValue).toList();
            if (!claimed.isEmpty()) {
                em.createNativeQuery("UPDATE " + table + " SET status = 'SENDING', next_attempt_at = :lease WHERE id IN (:ids)")
                        .setParameter("lease", now.plus(lease)).setParameter("ids", claimed).executeUpdate();
            }
            return claimed;
        });
    }
}
