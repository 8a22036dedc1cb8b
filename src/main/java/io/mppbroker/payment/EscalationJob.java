package io.mppbroker.payment;

import io.mppbroker.approval.Approval;
import io.mppbroker.approval.ApprovalService;
import io.mppbroker.audit.AuditTrail;
import io.mppbroker.events.Changes;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.List;

/**
 * Escalates unanswered approvals to the next route of their tier, and at the last route's timeout fails
 * closed: the payment is denied with basis "timeout" (unless the policy says to keep waiting). Safe on
 * several nodes: each step is a conditional update on the approval's route index.
 */
@ApplicationScoped
public class EscalationJob {

    private final ApprovalService approvals;
    private final PaymentPipeline pipeline;
    private final AuditTrail audit;
    private final Changes updates;

    public EscalationJob(ApprovalService approvals, PaymentPipeline pipeline, AuditTrail audit, Changes updates) {
        this.approvals = approvals;
        this.pipeline = pipeline;
        this.audit = audit;
        this.updates = updates;
    }

    @Scheduled(every = "${broker.approvals.escalation-check:1s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void run() {
        List<String> due = QuarkusTransaction.requiringNew().call(() ->
                Approval.dueForEscalation(Instant.now(), 100, false).stream().map(a -> a.id).toList());
        due.forEach(this::escalate);
    }

    void escalate(String approvalId) {
        String paymentId = QuarkusTransaction.requiringNew().call(() -> {
            Instant now = Instant.now();
            ApprovalService.Escalation step = approvals.escalate(approvalId, now);
            Approval a = Approval.findById(approvalId);
            Payment p = Payment.findById(a.paymentId);
            switch (step) {
                case ESCALATED -> audit.record(pipeline.entry(p, "escalated", "ASK", "no answer in time: approval "
                        + a.id + " escalated to route " + (a.routeIndex + 1), p.amount, p.currency, p.decisionId, null, null, 202));
                case EXPIRED -> {
                    Decision d = Decision.record(p, a.tier, "timeout", "routing.on_final_timeout",
                            "nobody answered approval " + a.id + " before the last route timed out: denied (fail closed)",
                            pipeline.policyVersion(p.project), null, p.amount, p.currency, now);
                    p.status = PaymentStatus.DENIED;
                    p.updatedAt = now;
                    audit.record(pipeline.entry(p, "timeout", "DENY", d.reason, p.amount, p.currency, d.id, null, null, 403));
                }
                case KEEP_WAITING -> audit.record(pipeline.entry(p, "escalated", "ASK", "last route timed out; the policy "
                        + "keeps approval " + a.id + " open", p.amount, p.currency, p.decisionId, null, null, 202));
                case NOTHING -> {
                    return null;
                }
            }
            return p.id;
        });
        if (paymentId != null) {
            updates.changed(paymentId);
        }
    }
}
