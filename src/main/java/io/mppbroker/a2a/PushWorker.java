package io.mppbroker.a2a;

import io.mppbroker.audit.AccessAuditEntry;
import io.mppbroker.audit.AuditEntry;
import io.mppbroker.audit.AuditTrail;
import io.mppbroker.jobs.LeasedQueue;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import org.eclipse.microprofile.context.ManagedExecutor;
import org.jboss.logging.Logger;

/**
 * Delivers queued pushes with retries and exponential backoff. Deliveries are claimed with {@code FOR UPDATE
 * SKIP LOCKED} and a lease ({@link LeasedQueue}), so several nodes can run workers and each push goes out once (at
 * least once if a node dies mid-request). Tokens and credentials go in headers only; neither they nor the URL's query are logged.
 */
@ApplicationScoped
public class PushWorker {

    private static final Logger LOG = Logger.getLogger(PushWorker.class);
    private static final Duration LEASE = Duration.ofSeconds(60);
    private static final Duration MAX_BACKOFF = Duration.ofMinutes(5);
    private static final int BATCH = 20;

    private final LeasedQueue queue;
    private final ManagedExecutor executor;
    private final PushUrlGuard guard;
    private final AuditTrail audit;
    private final A2aConfig.Push config;
    private final HttpClient http;

    public PushWorker(EntityManager em, ManagedExecutor executor, PushUrlGuard guard, AuditTrail audit, A2aConfig config) {
        this.queue = new LeasedQueue("push_delivery", LEASE, BATCH, em);
        this.executor = executor;
        this.guard = guard;
        this.audit = audit;
        this.config = config.push();
        this.http = HttpClient.newBuilder()
                .connectTimeout(this.config.timeout())
                .followRedirects(HttpClient.Redirect.NEVER) // a redirect could take the token to another host
                .version(HttpClient.Version.HTTP_1_1)
                .build();
    }

    /** Called after deliveries were committed: send them now rather than at the next poll. */
    public void drainSoon() {
        executor.runAsync(this::drain);
    }

    @Scheduled(every = "${broker.a2a.push.poll-interval:1s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void poll() {
        drain();
    }

    /** Delivers everything that is due (see {@link LeasedQueue}). */
    public void drain() {
        queue.drain(this::deliver);
    }

    private record Claimed(PushDelivery delivery, PushTarget target) {}

    private void deliver(long id) {
        Claimed c = QuarkusTransaction.requiringNew().call(() -> {
            PushDelivery d = PushDelivery.findById(id);
            return new Claimed(d, PushTarget.findById(d.targetId));
        });
        PushTarget target = c.target();
        if (target.deletedAt != null) {
            finish(id, PushDelivery.Status.SKIPPED, "the target was deleted");
            return;
        }
        URI url;
        try {
            url = guard.check(target.url); // again: the name may resolve elsewhere than when it was registered
        } catch (PushUrlGuard.Refused e) {
            finish(id, PushDelivery.Status.FAILED, "refused: " + e.getMessage());
            auditOutcome(c, "push.refused", "not pushed to " + PushTargets.shown(URI.create(target.url)) + ": " + e.getMessage());
            return;
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(url)
                .timeout(config.timeout())
                .header("Content-Type", target.kind == PushTarget.Kind.A2A ? "application/a2a+json" : "application/json")
                .header("User-Agent", "mpp-broker")
                .POST(HttpRequest.BodyPublishers.ofString(c.delivery().payload, StandardCharsets.UTF_8));
        if (target.authScheme != null && target.authCredentials != null) {
            request.header("Authorization", target.authScheme + " " + target.authCredentials);
        }
        if (target.token != null) {
            request.header("X-A2A-Notification-Token", target.token);
        }
        String error;
        try {
            HttpResponse<Void> response = http.send(request.build(), HttpResponse.BodyHandlers.discarding());
            if (response.statusCode() / 100 == 2) {
                finish(id, PushDelivery.Status.DELIVERED, null);
                auditOutcome(c, "agent_notified", "pushed " + c.delivery().stateVersion + " of " + c.delivery().subjectId
                        + " to " + PushTargets.shown(url) + " (" + target.id + ")");
                return;
            }
            error = "HTTP " + response.statusCode();
        } catch (IOException e) {
            error = e.getClass().getSimpleName();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            error = "interrupted";
        }
        retryLater(c, error);
    }

    private void finish(long id, PushDelivery.Status status, String error) {
        QuarkusTransaction.requiringNew().run(() -> {
            PushDelivery d = PushDelivery.findById(id);
            d.status = status;
            d.lastError = error;
            d.attempts++;
            d.deliveredAt = status == PushDelivery.Status.DELIVERED ? Instant.now() : null;
        });
    }

    private void retryLater(Claimed c, String error) {
        boolean gaveUp = QuarkusTransaction.requiringNew().call(() -> {
            PushDelivery d = PushDelivery.findById(c.delivery().id);
            d.attempts++;
            d.lastError = error;
            if (d.attempts >= config.maxAttempts()) {
                d.status = PushDelivery.Status.FAILED;
                return true;
            }
            d.status = PushDelivery.Status.PENDING;
            d.nextAttemptAt = Instant.now().plus(backoff(config.initialBackoff(), d.attempts));
            return false;
        });
        LOG.warnf("push %d (%s) to %s failed: %s%s", c.delivery().id, c.target().id,
                PushTargets.shown(URI.create(c.target().url)), error, gaveUp ? "; gave up" : "; will retry");
        if (gaveUp) {
            auditOutcome(c, "push.failed", "gave up pushing " + c.delivery().stateVersion + " of " + c.delivery().subjectId
                    + " to " + PushTargets.shown(URI.create(c.target().url)) + " after " + config.maxAttempts() + " attempts: " + error);
        }
    }

    /** {@code initial}, doubled per failed attempt, at most five minutes. */
    static Duration backoff(Duration initial, int attempts) {
        Duration d = initial.multipliedBy(1L << Math.min(Math.max(attempts - 1, 0), 16));
        return d.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : d;
    }

    private void auditOutcome(Claimed c, String event, String reason) {
        String subject = c.delivery().subjectId;
        QuarkusTransaction.requiringNew().run(() -> {
            String record = subject;
            if (subject.startsWith("task_")) {
                A2aTask task = A2aTask.findById(subject);
                record = task == null ? subject : task.subjectId;
            }
            String url = PushTargets.shown(URI.create(c.target().url));
            if (record.startsWith("acr_")) {
                // An access request's step: the line names the request, as the access lines do.
                audit.record(new AccessAuditEntry(Instant.now(), event, c.target().agent, c.target().project, PushTargets.ACTION,
                        url, null, reason, null, null, null, null, null, record));
            } else {
                audit.record(new AuditEntry(Instant.now(), event, c.target().agent, c.target().project, null, PushTargets.ACTION,
                        url, null, reason, null, null, record.startsWith("pay_") ? record : null, null, null, null, null));
            }
        });
    }
}
