package io.mppbroker.events;

import io.quarkus.runtime.Startup;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads that read records for held calls (payments and access requests read with or without {@code ?wait=}
 * or {@code Prefer: wait}, event streams, A2A subscriptions), apart from the worker pool that serves every other
 * request. Ten thousand agents whose holds reach the 55 s cap at about the same time re-attach in a burst of reads;
 * on the shared pool those reads queued ahead of the approvers' decisions, and every decision is what some held
 * agent is waiting for. Here the burst queues on a few threads and their few database connections; decisions do
 * not wait behind it, though they still share the CPU with it (docs/benchmarks.md).
 */
@Startup // a bad broker.holds.readers fails the start, not the first held call
@ApplicationScoped
public class HoldReads {

    @ConfigMapping(prefix = "broker.holds")
    public interface Config {
        /** Threads, and so at most database connections, for these reads; each read is one short transaction. */
        @WithDefault("4")
        int readers();
    }

    private final ExecutorService executor;

    public HoldReads(Config config) {
        if (config.readers() < 1) {
            throw new IllegalArgumentException("broker.holds.readers must be at least 1, was " + config.readers());
        }
        AtomicInteger n = new AtomicInteger();
        ClassLoader loader = HoldReads.class.getClassLoader(); // not the loader of whichever thread starts one
        this.executor = Executors.newFixedThreadPool(config.readers(), r -> {
            Thread t = new Thread(r, "hold-reader-" + n.incrementAndGet());
            t.setDaemon(true);
            t.setContextClassLoader(loader);
            return t;
        });
    }

    public ExecutorService executor() {
        return executor;
    }

    @PreDestroy
    void stop() {
        executor.shutdownNow();
    }
}
