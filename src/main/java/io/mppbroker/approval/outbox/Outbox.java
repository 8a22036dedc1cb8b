package io.mppbroker.approval.outbox;

import io.mppbroker.approval.Approval;
import io.mppbroker.policy.Route;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Queues approval cards for the chat channels of a route, and updates of every card already queued. */
@ApplicationScoped
public class Outbox {

    public static final String SLACK = "slack";
    public static final String TELEGRAM = "telegram";

    private final OutboxWorker worker;

    public Outbox(OutboxWorker worker) {
        this.worker = worker;
    }

    @Transactional(Transactional.TxType.MANDATORY)
    public void announce(Approval approval, Route route, Instant now) {
        route.slackChannel().ifPresent(channel -> enqueue(SLACK, OutboxMessage.Kind.ANNOUNCE, approval.id, channel, now));
        route.slackUsers().forEach(user -> enqueue(SLACK, OutboxMessage.Kind.ANNOUNCE, approval.id, user, now));
        route.telegramChats().forEach(chat -> enqueue(TELEGRAM, OutboxMessage.Kind.ANNOUNCE, approval.id, chat, now));
        worker.wakeAfterCommit();
    }

    /** Every card shown for this approval gets the new state (who decided, escalation, expiry). */
    @Transactional(Transactional.TxType.MANDATORY)
    public void updateAll(Approval approval, Instant now) {
        List<OutboxMessage> announced = OutboxMessage.list("approvalId = ?1 and kind = ?2", approval.id,
                OutboxMessage.Kind.ANNOUNCE);
        Set<String> targets = new LinkedHashSet<>();
        for (OutboxMessage m : announced) {
            if (targets.add(m.channel + "\u0000" + m.target)) {
                enqueue(m.channel, OutboxMessage.Kind.UPDATE, approval.id, m.target, now);
            }
        }
        worker.wakeAfterCommit();
    }

    private static void enqueue(String channel, OutboxMessage.Kind kind, String approvalId, String target, Instant now) {
        OutboxMessage m = new OutboxMessage();
        m.channel = channel;
        m.kind = kind;
        m.approvalId = approvalId;
        m.target = target;
        m.status = OutboxMessage.Status.PENDING;
        m.nextAttemptAt = now;
        m.createdAt = now;
        m.persist();
    }
}
