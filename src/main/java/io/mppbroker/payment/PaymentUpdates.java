package io.mppbroker.payment;

import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Wakes long-polling readers when a payment changes. A waiter costs a future, not a thread. Single-node
 * for now; the state itself always comes from the database, so a missed wake-up only costs the wait.
 */
@ApplicationScoped
public class PaymentUpdates {

    private final Map<String, CompletableFuture<Void>> waiters = new ConcurrentHashMap<>();

    /** Completes when {@link #changed} is called for the payment, or after {@code wait}. */
    public Uni<Void> nextChange(String paymentId, Duration wait) {
        CompletableFuture<Void> future = waiters.computeIfAbsent(paymentId, id -> new CompletableFuture<>());
        return Uni.createFrom().completionStage(future)
                .ifNoItem().after(wait).recoverWithItem((Void) null);
    }

    public void changed(String paymentId) {
        CompletableFuture<Void> future = waiters.remove(paymentId);
        if (future != null) {
            future.complete(null);
        }
    }
}
