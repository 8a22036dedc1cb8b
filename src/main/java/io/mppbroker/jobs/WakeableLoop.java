package io.mppbroker.jobs;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * A daemon thread that runs one step each time it is woken, and at least every {@code poll}. Wake-ups that arrive
 * while a step runs are folded into one more step; after a wake-up the loop can first let work {@code gather}
 * (batching). A failing step is logged once per distinct error and tried again at the next turn.
 */
public final class WakeableLoop {

    private final String name;
    private final Duration poll;
    private final Duration gather;
    private final Runnable step;
    private final Logger log;
    private final String failure;
    private final Semaphore wake = new Semaphore(0);
    private volatile boolean running;
    private Thread thread;
    private String lastError;

    /** @param failure what the log says when the step fails, e.g. "sealing audit lines failed" */
    public WakeableLoop(String name, Duration poll, Duration gather, Runnable step, Logger log, String failure) {
        this.name = name;
        this.poll = poll;
        this.gather = gather;
        this.step = step;
        this.log = log;
        this.failure = failure;
    }

    public void start() {
        running = true;
        thread = new Thread(this::run, name);
        thread.setDaemon(true);
        thread.start();
    }

    /** Asks for a step soon; cheap, and safe from any thread (observers run on the committing thread). */
    public void wake() {
        if (wake.availablePermits() == 0) wake.release();
    }

    /** Stops after the current step, waiting for it up to 10 s. */
    public void stop() {
        running = false;
        wake.release();
        if (thread != null) {
            try {
                thread.join(TimeUnit.SECONDS.toMillis(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void run() {
        while (running) {
            try {
                if (wake.tryAcquire(poll.toMillis(), TimeUnit.MILLISECONDS) && running && !gather.isZero()) {
                    Thread.sleep(gather.toMillis());
                }
                wake.drainPermits();
                if (!running) break;
                step.run();
                lastError = null;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                if (!String.valueOf(e.getMessage()).equals(lastError)) {
                    log.errorf(e, "%s (retrying every %ss)", failure, poll.toSeconds());
                    lastError = String.valueOf(e.getMessage());
                }
            }
        }
    }
}
