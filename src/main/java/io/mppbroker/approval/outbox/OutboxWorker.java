package io.mppbroker.approval.outbox;

import io.mppbroker.approval.Approval;
import io.mppbroker.approval.ApprovalCard;
import io.mppbroker.approval.ApprovalCards;
import io.mppbroker.access.AccessRequestRecord;
import io.mppbroker.audit.AccessAuditEntry;
import io.mppbroker.audit.AuditEntry;
import io.mppbroker.audit.AuditTrail;
import io.mppbroker.jobs.LeasedQueue;
import io.mppbroker.payment.Payment;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.TransactionPhase;
import jakarta.enterprise.inject.Instance;
import jakarta.persistence.EntityManager;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.context.ManagedExecutor;
import org.jboss.logging.Logger;

/**
 * Delivers outbox messages with retries. Messages are claimed with {@code FOR UPDATE SKIP LOCKED} and a
 * lease ({@link LeasedQueue}), so several nodes can run workers and a node that dies mid-delivery only delays its messages.
 * Delivery is at-least-once: a card may be updated twice, never lost.
 */
@ApplicationScoped
public class OutboxWorker {

    private static final Logger LOG = Logger.getLogger(OutboxWorker.class);
    private static final Duration LEASE = Duration.ofSeconds(60);
    private static final Duration MAX_BACKOFF = Duration.ofMinutes(5);
    private static final int BATCH = 20;

    private final Map<String, ApprovalChannel> channels;
    private final AuditTrail audit;
    private final ApprovalCards cards;
    private final LeasedQueue queue;
    private final ManagedExecutor executor;
    private final Event<Wake> wake;
    private final int maxAttempts;

    public OutboxWorker(Instance<ApprovalChannel> channels, ApprovalCards cards, EntityManager em, ManagedExecutor executor,
                        Event<Wake> wake, AuditTrail audit,
                        @ConfigProperty(name = "broker.outbox.max-attempts", defaultValue = "50") int maxAttempts) {
        this.audit = audit;
        this.channels = channels.stream().collect(Collectors.toMap(ApprovalChannel::name, Function.identity()));
        this.cards = cards;
        this.queue = new LeasedQueue("outbox", LEASE, BATCH, em);
        this.executor = executor;
        this.wake = wake;
        this.maxAttempts = maxAttempts;
    }

    /** Called inside a transaction that queued messages: deliver them as soon as it commits. */
    public void wakeAfterCommit() {
        wake.fire(new Wake());
    }

    void onCommit(@Observes(during = TransactionPhase.AFTER_SUCCESS) Wake event) {
        executor.runAsync(this::drain);
    }

    @Scheduled(every = "${broker.outbox.poll-interval:2s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void poll() {
        drain();
    }

    /** Delivers everything that is due (see {@link LeasedQueue}). */
    public void drain() {
        queue.drain(this::deliver);
    }

    private void deliver(long id) {
        OutboxMessage m = QuarkusTransaction.requiringNew().call(() -> OutboxMessage.<OutboxMessage>findById(id));
        ApprovalChannel channel = channels.get(m.channel);
        if (channel == null || !channel.configured()) {
            finish(id, OutboxMessage.Status.SKIPPED, null, m.channel + " is not configured");
            return;
        }
        Optional<String> previousRef = Optional.empty();
        if (m.kind == OutboxMessage.Kind.UPDATE) {
            OutboxMessage.Status announce = QuarkusTransaction.requiringNew().call(() -> announceStatus(m));
            if (announce == OutboxMessage.Status.PENDING || announce == OutboxMessage.Status.SENDING) {
                retryLater(id, Duration.ofSeconds(1), null, false); // keep the order: card first, then its updates
                return;
            }
            previousRef = QuarkusTransaction.requiringNew().call(() -> OutboxMessage.announcedRef(m.approvalId, m.channel, m.target));
        }
        try {
            ApprovalCard card = cards.build(m.approvalId);
            String ref = channel.deliver(m.kind, m.target, card, previousRef.orElse(null));
            finish(id, OutboxMessage.Status.SENT, ref, null);
        } catch (ApprovalChannel.ChannelUnavailable e) {
            Duration backoff = e.retryAfter() != null ? e.retryAfter() : backoff(m.attempts + 1);
            retryLater(id, backoff, e.getMessage(), true);
        } catch (RuntimeException e) {
            LOG.errorf("outbox message %d to %s failed: %s", id, m.channel, e.toString());
            retryLater(id, backoff(m.attempts + 1), e.getClass().getSimpleName() + ": " + e.getMessage(), true);
        }
    }

    private OutboxMessage.Status announceStatus(OutboxMessage update) {
        return OutboxMessage.<OutboxMessage>find("approvalId = ?1 and channel = ?2 and target = ?3 and kind = ?4",
                        update.approvalId, update.channel, update.target, OutboxMessage.Kind.ANNOUNCE)
                .firstResultOptional().map(a -> a.status).orElse(OutboxMessage.Status.FAILED);
    }

    private void finish(long id, OutboxMessage.Status status, String ref, String error) {
        QuarkusTransaction.requiringNew().run(() -> {
            OutboxMessage m = OutboxMessage.findById(id);
            m.status = status;
            m.externalRef = ref;
            m.lastError = error;
            m.attempts++;
            m.sentAt = status == OutboxMessage.Status.SENT ? Instant.now() : null;
            if (status == OutboxMessage.Status.SENT) {
                auditNotification(m);
            }
        });
    }

    /** Every card posted or updated is an audit line: who was asked, where, and when. */
    private void auditNotification(OutboxMessage m) {
        Approval approval = Approval.findById(m.approvalId);
        String what = m.kind == OutboxMessage.Kind.ANNOUNCE ? "asked on " : "card updated on ";
        if (approval.isAboutAccess()) {
            AccessRequestRecord r = AccessRequestRecord.findById(approval.accessRequestId);
            audit.record(new AccessAuditEntry(Instant.now(), m.kind == OutboxMessage.Kind.ANNOUNCE ? "notified" : "notification_updated",
                    r.agent, r.project, String.join(",", r.actions), r.resource, null,
                    what + m.channel + " " + m.target + " for approval " + approval.id, null, r.grantId,
                    approval.decidedBy, null, null, r.id));
            return;
        }
        Payment p = Payment.findById(approval.paymentId);
        audit.record(new AuditEntry(Instant.now(), m.kind == OutboxMessage.Kind.ANNOUNCE ? "notified" : "notification_updated",
                p.agent, p.project, p.task, AuditTrail.ACTION_PAY, p.requestUrl, null,
                what + m.channel + " " + m.target + " for approval " + approval.id, p.amount, p.currency, p.id,
                p.decisionId, approval.decidedBy, p.receiptReference, null));
    }

    private void retryLater(long id, Duration delay, String error, boolean countAttempt) {
        QuarkusTransaction.requiringNew().run(() -> {
            OutboxMessage m = OutboxMessage.findById(id);
            if (countAttempt) {
                m.attempts++;
                m.lastError = error;
            }
            if (m.attempts >= maxAttempts) {
                m.status = OutboxMessage.Status.FAILED;
                LOG.errorf("outbox message %d to %s gave up after %d attempts: %s", id, m.channel, m.attempts, error);
            } else {
                m.status = OutboxMessage.Status.PENDING;
                m.nextAttemptAt = Instant.now().plus(delay);
            }
        });
    }

    static Duration backoff(int attempt) {
        Duration d = Duration.ofSeconds(1L << Math.min(attempt, 9));
        return d.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : d;
    }

    public record Wake() {}
}
