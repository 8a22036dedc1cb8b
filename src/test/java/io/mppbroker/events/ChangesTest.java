package io.mppbroker.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
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
        int before = changes.registrations();
        int heldBefore = changes.held();
        changes.nextChange("pay_" + UUID.randomUUID(), Duration.ofMillis(300)); // the caller found the payment final
        assertEquals(before + 1, changes.registrations());
        assertEquals(heldBefore, changes.held(), "registered, but nobody is held");
        Instant until = Instant.now().plusSeconds(10);
        while (changes.registrations() > before && Instant.now().isBefore(until)) {
            Thread.sleep(50);
        }
        assertTrue(changes.registrations() <= before, "the registration is gone: " + changes.registrations() + " left");
    }

    @Test
    void aHeldRequestCountsWhileItWaits() {
        int before = changes.held();
        String id = "pay_" + UUID.randomUUID();
        var waiting = changes.nextChange(id, Duration.ofSeconds(30)).subscribeAsCompletionStage();
        assertEquals(before + 1, changes.held());
        changes.changed(id);
        waiting.toCompletableFuture().orTimeout(10, java.util.concurrent.TimeUnit.SECONDS).join();
        assertEquals(before, changes.held(), "answered, no longer held");
    }
}
