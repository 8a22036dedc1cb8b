package io.mppbroker.approval;

import io.mppbroker.api.ApiProblem;
import io.mppbroker.payment.Ids;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.time.Instant;

/** Opens questions for humans and records their answers, exactly once. */
@ApplicationScoped
public class ApprovalService {

    @Transactional(Transactional.TxType.MANDATORY)
    public Approval open(String paymentId, String project, String tier, String reason, Instant now) {
        Approval a = new Approval();
        a.id = Ids.next("apr");
        a.paymentId = paymentId;
        a.project = project;
        a.tier = tier;
        a.reason = reason;
        a.status = Approval.Status.PENDING;
        a.createdAt = now;
        a.persist();
        return a;
    }

    /**
     * Records a decision if, and only if, the approval is still pending. The conditional UPDATE makes the
     * first answer win even when the same question is answered on several channels or nodes at once.
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public Approval claim(String approvalId, String approverId, ApprovalDecision decision, Instant now) {
        Approval.Status outcome = decision.verdict() == ApprovalDecision.Verdict.APPROVE
                ? Approval.Status.APPROVED : Approval.Status.DENIED;
        int updated = Approval.update(
                "status = ?1, decidedBy = ?2, note = ?3, maxAmount = ?4, decidedAt = ?5, version = version + 1 "
                        + "where id = ?6 and status = ?7",
                outcome, approverId, decision.note(), decision.maxAmount(), now, approvalId, Approval.Status.PENDING);
        Approval approval = Approval.<Approval>findById(approvalId);
        if (approval == null) {
            throw ApiProblem.notFound("no approval " + approvalId);
        }
        Approval.getEntityManager().refresh(approval);
        if (updated == 0) {
            String by = approval.decidedBy == null ? "" : " by " + approval.decidedBy;
            throw ApiProblem.conflict("approval-already-decided",
                            "approval " + approvalId + " is already " + approval.status.name().toLowerCase() + by)
                    .with("approval_status", approval.status.name().toLowerCase())
                    .with("decided_by", approval.decidedBy)
                    .with("decided_at", approval.decidedAt == null ? null : approval.decidedAt.toString());
        }
        return approval;
    }

    /** Closes an open question without a human answer (withdrawn by the agent, or replaced by a new one). */
    @Transactional(Transactional.TxType.MANDATORY)
    public void close(String approvalId, Approval.Status status, Instant now) {
        Approval.update("status = ?1, decidedAt = ?2, version = version + 1 where id = ?3 and status = ?4",
                status, now, approvalId, Approval.Status.PENDING);
    }
}
