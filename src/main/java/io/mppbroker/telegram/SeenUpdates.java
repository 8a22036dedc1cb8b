package io.mppbroker.telegram;

import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;

/**
 * Telegram update ids already handled, on any node (table {@code telegram_update}): Telegram re-delivers an
 * update whose answer was slow, and a re-delivery is not a second click. Telegram gives up re-delivering after
 * a day; ids are kept for two.
 */
@ApplicationScoped
public class SeenUpdates {

    private final EntityManager em;

    public SeenUpdates(EntityManager em) {
        this.em = em;
    }

    /** True for the first delivery of the update, on whichever node it arrives. */
    @Transactional(Transactional.TxType.REQUIRES_NEW)
    public boolean firstDelivery(long updateId) {
        return em.createNativeQuery("INSERT INTO telegram_update (update_id) VALUES (:id) ON CONFLICT DO NOTHING")
                .setParameter("id", updateId).executeUpdate() == 1;
    }

    @Scheduled(every = "1h", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    @Transactional
    void forgetOld() {
        em.createNativeQuery("DELETE FROM telegram_update WHERE received_at < now() - interval '2 days'").executeUpdate();
    }
}
