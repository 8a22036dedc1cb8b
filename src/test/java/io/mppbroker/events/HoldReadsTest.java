package io.mppbroker.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class HoldReadsTest {

    @Test
    void noReaderThreadsIsRefusedAtStart() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new HoldReads(() -> 0));
        assertEquals("broker.holds.readers must be at least 1, was 0", e.getMessage());
    }

    @Test
    void readsRunOnNamedDaemonThreadsWithTheBrokersClassLoader() throws Exception {
        HoldReads reads = new HoldReads(() -> 2);
        try {
            Thread t = CompletableFuture.supplyAsync(Thread::currentThread, reads.executor()).get(5, TimeUnit.SECONDS);
            assertTrue(t.getName().startsWith("hold-reader-"), t.getName());
            assertTrue(t.isDaemon());
            assertEquals(HoldReads.class.getClassLoader(), t.getContextClassLoader());
        } finally {
            reads.stop();
        }
    }
}
