package io.mppbroker.events;

import io.mppbroker.cluster.ClusterConfig;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;

/**
 * Wakes whoever waits on a payment, an access request or any other record the broker decides, by id
 * ({@code pay_...}, {@code acr_...}). A held request costs a future, not a thread. Wake-ups go through the
 * in-memory {@code changes} channel; with {@code broker.cluster.rabbitmq=true} they are also published on the
 * {@code changes-out} channel (a RabbitMQ fanout exchange) and arrive from the other nodes on {@code changes-in}
 * (this node's own exclusive queue), so an approval on one node releases a hold owned by another. The state
 * itself always comes from the database, so a lost wake-up only delays a hold: by at most
 * {@code broker.cluster.recheck}, as held requests re-read that often when wake-ups cross a network.
 */
@ApplicationScoped
public class Changes {

    public static final String CHANNEL = "changes";
    /** RabbitMQ-mapped channels (application.properties), enabled by {@code broker.cluster.rabbitmq}. */
    public static final String CLUSTER_OUT = "changes-out";
    public static final String CLUSTER_IN = "changes-in";

    /** Per record, one future per registration; each removes itself when it completes or its wait ends. */
    private final Map<String, Set<CompletableFuture<Void>>> waiters = new ConcurrentHashMap<>();
    /** Registrations someone is waiting on now: the requests held open on this node. */
    private final AtomicInteger waiting = new AtomicInteger();
    private final Emitter<String> changes;
    private final ChangesExchange exchange;
    private final Event<Changed> observers;
    private final ClusterConfig config;
    /** Tells this node's own messages apart when the exchange hands them back. */
    private final String node = UUID.randomUUID().toString();

    /**
     * Fired (synchronously) on each wake-up, for views that follow many records at once, such as the
     * dashboard's live list. Observers must return at once: they run on the messaging thread.
     */
    public record Changed(String id) {}

    public Changes(@Channel(CHANNEL) @OnOverflow(OnOverflow.Strategy.UNBOUNDED_BUFFER) Emitter<String> changes,
                   ChangesExchange exchange, Event<Changed> observers, ClusterConfig config) {
        this.changes = changes;
        this.exchange = exchange;
        this.observers = observers;
        this.config = config;
    }

    /** Completes at the next change of the record, or after {@code wait} (or the re-check interval, if shorter). */
    public Uni<Void> nextChange(String id, Duration wait) {
        if (config.rabbitmq() && wait.compareTo(config.recheck()) > 0) {
            wait = config.recheck();
        }
        CompletableFuture<Void> future = new CompletableFuture<>();
        waiters.compute(id, (key, set) -> {
            Set<CompletableFuture<Void>> s = set == null ? ConcurrentHashMap.newKeySet() : set;
            s.add(future);
            return s;
        });
        // Callers register before they read and often find they need not wait: the registration ends by itself
        // after `wait`, subscribed or not, so a record that never changes again leaves nothing behind.
        future.completeOnTimeout(null, wait.toMillis(), TimeUnit.MILLISECONDS)
                .whenComplete((ignored, error) -> forget(id, future));
        // Counted once per subscription: a chain cancelled after the change fired terminates this Uni a second time.
        return Uni.createFrom().deferred(() -> {
            AtomicBoolean ended = new AtomicBoolean();
            return Uni.createFrom().completionStage(future)
                    .onSubscription().invoke(waiting::incrementAndGet)
                    .onTermination().invoke(() -> {
                        if (ended.compareAndSet(false, true)) waiting.decrementAndGet();
                    });
        });
    }

    /** Announces a committed change of the record: to this node at once, to the others over RabbitMQ. */
    public void changed(String id) {
        changes.send(id);
        if (config.rabbitmq()) {
            exchange.publish(node + " " + id);
        }
    }

    @Incoming(CHANNEL)
    void wake(String id) {
        Set<CompletableFuture<Void>> set = waiters.remove(id);
        if (set != null) {
            set.forEach(f -> f.complete(null));
        }
        observers.fire(new Changed(id));
    }

    /** A change announced by another node ({@code "<node> <id>"}); this node's own were delivered already. */
    @Incoming(CLUSTER_IN)
    void remote(String message) {
        int space = message.indexOf(' ');
        if (space > 0 && !message.substring(0, space).equals(node)) {
            changes.send(message.substring(space + 1));
        }
    }

    private void forget(String id, CompletableFuture<Void> future) {
        waiters.computeIfPresent(id, (key, set) -> {
            set.remove(future);
            return set.isEmpty() ? null : set;
        });
    }

    /** Requests currently held open on this node (waiting for a change, not merely registered for one). */
    public int held() {
        return waiting.get();
    }

    /** The record's registrations not yet ended, awaited or not (each ends by itself after its wait). */
    int registrations(String id) {
        Set<CompletableFuture<Void>> set = waiters.get(id);
        return set == null ? 0 : set.size();
    }
}
