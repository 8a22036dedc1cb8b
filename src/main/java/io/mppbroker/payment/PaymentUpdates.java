package io.mppbroker.payment;

import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;

/**
 * Wakes held requests when a payment changes. A held request costs a future, not a thread. Wake-ups go
 * through the {@code payment-changes} messaging channel: in-memory on one node; mapping the channel to a
 * broker (RabbitMQ) lets an approval on one node release a hold owned by another. The state itself always
 * comes from the database, so a lost wake-up only costs the rest of the wait.
 */
@ApplicationScoped
public class PaymentUpdates {

    public static final String CHANNEL = "payment-changes";

    /** Per payment, one future per waiting request; a request that times out removes its own. */
    private final Map<String, Set<CompletableFuture<Void>>> waiters = new ConcurrentHashMap<>();
    private final Emitter<String> changes;
    private final Event<Changed> observers;

    /**
     * Fired (synchronously) on each wake-up, for views that follow many payments at once, such as the
     * dashboard's live list. Observers must return at once: they run on the messaging thread.
     */
    public record Changed(String paymentId) {}

    public PaymentUpdates(@Channel(CHANNEL) @OnOverflow(OnOverflow.Strategy.UNBOUNDED_BUFFER) Emitter<String> changes,
                          Event<Changed> observers) {
        this.changes = changes;
        this.observers = observers;
    }

    /** Completes at the next change of the payment, or after {@code wait}. */
    public Uni<Void> nextChange(String paymentId, Duration wait) {
        CompletableFuture<Void> future = new CompletableFuture<>();
        waiters.compute(paymentId, (id, set) -> {
            Set<CompletableFuture<Void>> s = set == null ? ConcurrentHashMap.newKeySet() : set;
            s.add(future);
            return s;
        });
        return Uni.createFrom().completionStage(future)
                .ifNoItem().after(wait).recoverWithItem((Void) null)
                .onTermination().invoke(() -> forget(paymentId, future));
    }

    /** Announces a committed change of the payment. */
    public void changed(String paymentId) {
        changes.send(paymentId);
    }

    @Incoming(CHANNEL)
    void wake(String paymentId) {
        Set<CompletableFuture<Void>> set = waiters.remove(paymentId);
        if (set != null) {
            set.forEach(f -> f.complete(null));
        }
        observers.fire(new Changed(paymentId));
    }

    private void forget(String paymentId, CompletableFuture<Void> future) {
        waiters.computeIfPresent(paymentId, (id, set) -> {
            set.remove(future);
            return set.isEmpty() ? null : set;
        });
    }

    /** Requests currently held open on this node. */
    public int held() {
        return waiters.values().stream().mapToInt(Set::size).sum();
    }
}
