package io.mppbroker.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.Cancellable;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Holds wait on these wake-ups: none may be lost, and none may linger. */
@QuarkusTest
class ChangesTest {

    @Inject
    Changes changes;

    @Test
    void aChangeBetweenRegisteringAndWaitingStillWakesTheWaiter() {
        String id = "pay_" + UUID.randomUUID();
        Uni<Void> next = changes.nextChange(id, Duration.ofSeconds(50));
        changes.changed(id); // committed while the waiter re-reads the record, before it starts waiting
        // Lost, the wait would run for 50 s and fail here.
        next.await().atMost(Duration.ofSeconds(10));
    }

    @Test
    void aRegistrationNobodyWaitsOnLapsesByItself() throws InterruptedException {
        String id = "pay_" + UUID.randomUUID();
        int heldBefore = changes.held();
        changes.nextChange(id, Duration.ofMillis(300)); // the caller found the payment final
        assertEquals(1, changes.registrations(id));
        assertEquals(heldBefore, changes.held(), "registered, but nobody is held");
        Instant until = Instant.now().plusSeconds(10);
        while (changes.registrations(id) > 0 && Instant.now().isBefore(until)) {
            Thread.sleep(50);
        }
        assertEquals(0, changes.registrations(id), "the registration is gone");
    }

    @Test
    void aHeldRequestCountsOnceWhileItWaitsEvenIfItsChainIsCancelledAfterTheChange() {
        int before = changes.held();
        String id = "pay_" + UUID.randomUUID();
        CompletableFuture<Void> reread = new CompletableFuture<>(); // the hold's next step, still running
        Cancellable hold = changes.nextChange(id, Duration.ofSeconds(30))
                .flatMap(ignored -> Uni.createFrom().completionStage(reread))
                .subscribe().with(ignored -> {});
        assertEquals(before + 1, changes.held());
        changes.changed(id);
        Instant until = Instant.now().plusSeconds(10);
        while (changes.held() != before && Instant.now().isBefore(until)) {
            Thread.onSpinWait();
        }
        assertEquals(before, changes.held(), "woken: no longer waiting");
        hold.cancel(); // the agent hung up while the hold re-read the payment
        assertEquals(before, changes.held(), "counted down once, not again on cancel");
    }
}
