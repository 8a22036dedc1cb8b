package io.mppbroker.events;

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
 * Wakes whoever waits on a payment, an access request or any other record the broker decides, by id
 * ({@code pay_...}, {@code acr_...}). A held request costs a future, not a thread. Wake-ups go through the
 * {@code changes} messaging channel: in-memory on one node; mapping the channel to a broker (RabbitMQ) lets an
 * approval on one node release a hold owned by another. The state itself always comes from the database, so a
 * lost wake-up only costs the rest of the wait.
 */
@ApplicationScoped
public class Changes {

    public static final String CHANNEL = "changes";

    /** Per record, one future per waiting request; a request that times out removes its own. */
    private final Map<String, Set<CompletableFuture<Void>>> waiters = new ConcurrentHashMap<>();
    private final Emitter<String> changes;
    private final Event<Changed> observers;

    /**
     * Fired (synchronously) on each wake-up, for views that follow many records at once, such as the
     * dashboard's live list. Observers must return at once: they run on the messaging thread.
     */
    public record Changed(String id) {}

    public Changes(@Channel(CHANNEL) @OnOverflow(OnOverflow.Strategy.UNBOUNDED_BUFFER) Emitter<String> changes,
                   Event<Changed> observers) {
        this.changes = changes;
        this.observers = observers;
    }

    /** Completes at the next change of the record, or after {@code wait}. */
    public Uni<Void> nextChange(String id, Duration wait) {
        CompletableFuture<Void> future = new CompletableFuture<>();
        waiters.compute(id, (key, set) -> {
            Set<CompletableFuture<Void>> s = set == null ? ConcurrentHashMap.newKeySet() : set;
            s.add(future);
            return s;
        });
        return Uni.createFrom().completionStage(future)
                .ifNoItem().after(wait).recoverWithItem((Void) null)
                .onTermination().invoke(() -> forget(id, future));
    }

    /** Announces a committed change of the record. */
    public void changed(String id) {
        changes.send(id);
    }

    @Incoming(CHANNEL)
    void wake(String id) {
        Set<CompletableFuture<Void>> set = waiters.remove(id);
        if (set != null) {
            set.forEach(f -> f.complete(null));
        }
        observers.fire(new Changed(id));
    }

    private void forget(String id, CompletableFuture<Void> future) {
        waiters.computeIfPresent(id, (key, set) -> {
            set.remove(future);
            return set.isEmpty() ? null : set;
        });
    }

    /** Requests currently held open on this node. */
    public int held() {
        return waiters.values().stream().mapToInt(Set::size).sum();
    }
}
