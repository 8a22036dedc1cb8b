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
        int before = changes.held();
        changes.nextChange("pay_" + UUID.randomUUID(), Duration.ofMillis(300)); // the caller found the payment final
        assertEquals(before + 1, changes.held());
        Instant until = Instant.now().plusSeconds(10);
        while (changes.held() > before && Instant.now().isBefore(until)) {
            Thread.sleep(50);
        }
        assertTrue(changes.held() <= before, "the registration is gone: " + changes.held() + " held");
    }
}
