package io.mppbroker.approval;

import io.mppbroker.api.ApiProblem;
import io.mppbroker.approval.outbox.Outbox;
import io.mppbroker.payment.Ids;
import io.mppbroker.policy.FinalTimeout;
import io.mppbroker.policy.PolicyRegistry;
import io.mppbroker.policy.ProjectPolicy;
import io.mppbroker.policy.Route;
import io.mppbroker.policy.Routing;
import io.mppbroker.policy.TierRouting;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Questions for humans: opened on the tier's first route, escalated route by route, answered exactly once.
 * Every method runs inside the caller's transaction, so the approval, its votes and the outbound messages
 * that announce it commit together or not at all.
 */
@ApplicationScoped
public class ApprovalService {

    /** How an answer ended: the approval is decided, or a vote was counted and more are needed. */
    public enum Outcome { APPROVED, DENIED, VOTE_RECORDED }

    private final PolicyRegistry policies;
    private final Outbox outbox;
    private final EntityManager em;

    public ApprovalService(PolicyRegistry policies, Outbox outbox, EntityManager em) {
        this.policies = policies;
        this.outbox = outbox;
        this.em = em;
    }

    @Transactional(Transactional.TxType.MANDATORY)
    public Approval open(String paymentId, String project, String agent, String tier, String reason, Instant now) {
        return open(paymentId, null, project, agent, tier, reason, now);
    }

    /** Asks about an access request, routed by {@code routing.access} (else the {@code ask} tier's routing). */
    @Transactional(Transactional.TxType.MANDATORY)
    public Approval openForAccess(String accessRequestId, String project, String agent, String reason, Instant now) {
        return open(null, accessRequestId, project, agent, Routing.ACCESS, reason, now);
    }

    private Approval open(String paymentId, String accessRequestId, String project, String agent, String tier,
                          String reason, Instant now) {
        TierRouting routing = routing(project, tier);
        Route first = routing.routes().get(0);
        Approval a = new Approval();
        a.id = Ids.next("apr");
        a.paymentId = paymentId;
        a.accessRequestId = accessRequestId;
        a.project = project;
        a.agent = agent;
        a.tier = tier;
        a.reason = reason;
        a.status = Approval.Status.PENDING;
        a.requiredApprovals = routing.requiredApprovals();
        a.routeIndex = 0;
        a.escalateAt = now.plus(first.timeout());
        a.createdAt = now;
        a.persist();
        outbox.announce(a, first, now);
        return a;
    }

    /**
     * Records an approver's answer. Checks, in order: the approval is still open; the approver belongs to the
     * project and has been asked (the current route or an earlier one); separation of duties; then counts the
     * vote. A deny decides at once; approvals decide when the tier's required number of distinct approvers is
     * reached. The decisive UPDATE is conditional on the approval still being pending, so the first answer
     * wins across channels and nodes; the others get a 409 naming who decided.
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public Outcome answer(String approverId, String approvalId, ApprovalDecision decision, String via, Instant now) {
        Approval a = Approval.findById(approvalId);
        if (a == null) {
            throw ApiProblem.notFound("no approval " + approvalId);
        }
        if (!a.isPending()) {
            throw alreadyDecided(a);
        }
        ProjectPolicy policy = policies.project(a.project).orElseThrow(() -> ApiProblem.conflict("project-without-policy",
                "project " + a.project + " has no valid policy loaded; the approval cannot be answered"));
        if (policy.approver(approverId).isEmpty()) {
            throw ApiProblem.forbidden("not-an-approver", approverId + " is not an approver of project " + a.project);
        }
        TierRouting routing = policy.routing().forApproval(a.tier);
        Set<String> asked = routing.approversUpTo(a.routeIndex);
        if (!asked.contains(approverId)) {
            throw ApiProblem.forbidden("not-asked-yet", "approval " + approvalId + " is routed to " + asked
                    + "; " + approverId + " is asked only after an escalation");
        }
        if (decision.approves() && policy.routing().ownerCannotApprove()
                && policy.agentOwner(a.agent).filter(approverId::equals).isPresent()) {
            throw ApiProblem.forbidden("separation-of-duties",
                    approverId + " owns agent " + a.agent + " and cannot approve its " + (a.isAboutAccess() ? "access requests" : "payments"));
        }
        int inserted = em.createNativeQuery("""
                        INSERT INTO approval_vote (approval_id, approver, verdict, note, via, created_at)
                        VALUES (:a, :who, :verdict, :note, :via, :now) ON CONFLICT DO NOTHING""")
                .setParameter("a", approvalId).setParameter("who", approverId)
                .setParameter("verdict", decision.verdict().name()).setParameter("note", decision.note())
                .setParameter("via", via).setParameter("now", now)
                .executeUpdate();
        if (inserted == 0) {
            throw ApiProblem.conflict("already-voted", approverId + " already answered approval " + approvalId);
        }
        if (decision.approves()) {
            long approvals = ((Number) em.createNativeQuery(
                            "SELECT count(*) FROM approval_vote WHERE approval_id = :a AND verdict = 'APPROVE'")
                    .setParameter("a", approvalId).getSingleResult()).longValue();
            if (approvals < a.requiredApprovals) {
                outbox.updateAll(a, now);
                return Outcome.VOTE_RECORDED;
            }
        }
        claim(a, decision.approves() ? Approval.Status.APPROVED : Approval.Status.DENIED, approverId, decision, via, now);
        return decision.approves() ? Outcome.APPROVED : Outcome.DENIED;
    }

    /** Stores what the agent will be told about the revisions that came with the approval. */
    @Transactional(Transactional.TxType.MANDATORY)
    public void recordRevision(String approvalId, Map<String, Object> revision) {
        Approval a = Approval.findById(approvalId);
        a.revision = revision;
    }

    /** Moves an unanswered approval to the next route, or closes it when the last route timed out. */
    @Transactional(Transactional.TxType.MANDATORY)
    public Escalation escalate(String approvalId, Instant now) {
        Approval a = Approval.findById(approvalId);
        if (a == null || !a.isPending() || a.escalateAt == null || a.escalateAt.isAfter(now)) {
            return Escalation.NOTHING;
        }
        ProjectPolicy policy = policies.project(a.project).orElse(null);
        TierRouting routing = policy == null ? null : policy.routing().forApproval(a.tier);
        if (routing != null && a.routeIndex + 1 < routing.routes().size()) {
            Route next = routing.routes().get(a.routeIndex + 1);
            int moved = Approval.update("routeIndex = ?1, escalateAt = ?2, version = version + 1 "
                            + "where id = ?3 and status = ?4 and routeIndex = ?5",
                    a.routeIndex + 1, now.plus(next.timeout()), a.id, Approval.Status.PENDING, a.routeIndex);
            if (moved == 0) {
                return Escalation.NOTHING; // another node escalated it first
            }
            em.refresh(a);
            outbox.updateAll(a, now); // cards already posted show the escalation
            outbox.announce(a, next, now);
            return Escalation.ESCALATED;
        }
        if (policy != null && policy.routing().onFinalTimeout() == FinalTimeout.KEEP_WAITING) {
            Approval.update("escalateAt = null where id = ?1 and status = ?2", a.id, Approval.Status.PENDING);
            return Escalation.KEEP_WAITING;
        }
        int expired = Approval.update("status = ?1, decidedBy = ?2, decidedVia = ?2, decidedAt = ?3, version = version + 1 "
                + "where id = ?4 and status = ?5", Approval.Status.EXPIRED, "timeout", now, a.id, Approval.Status.PENDING);
        if (expired == 0) {
            return Escalation.NOTHING;
        }
        em.refresh(a);
        outbox.updateAll(a, now);
        return Escalation.EXPIRED;
    }

    public enum Escalation { NOTHING, ESCALATED, EXPIRED, KEEP_WAITING }

    /** Closes an open question without a human answer (withdrawn by the agent, or replaced by a new one). */
    @Transactional(Transactional.TxType.MANDATORY)
    public void close(String approvalId, Approval.Status status, Instant now) {
        int closed = Approval.update("status = ?1, decidedAt = ?2, version = version + 1 where id = ?3 and status = ?4",
                status, now, approvalId, Approval.Status.PENDING);
        if (closed > 0) {
            Approval a = Approval.findById(approvalId);
            em.refresh(a);
            outbox.updateAll(a, now);
        }
    }

    private void claim(Approval a, Approval.Status outcome, String approverId, ApprovalDecision decision, String via,
                       Instant now) {
        int updated = Approval.update(
                "status = ?1, decidedBy = ?2, note = ?3, maxAmount = ?4, decidedAt = ?5, decidedVia = ?6, "
                        + "version = version + 1 where id = ?7 and status = ?8",
                outcome, approverId, decision.note(), decision.maxAmount(), now, via, a.id, Approval.Status.PENDING);
        em.refresh(a);
        if (updated == 0) {
            throw alreadyDecided(a);
        }
        outbox.updateAll(a, now);
    }

    private static ApiProblem alreadyDecided(Approval a) {
        String by = a.decidedBy == null ? "" : " by " + a.decidedBy;
        String via = a.decidedVia == null ? "" : " via " + a.decidedVia;
        return ApiProblem.conflict("approval-already-decided",
                        "approval " + a.id + " is already " + a.status.name().toLowerCase(Locale.ROOT) + by + via)
                .with("approval_status", a.status.name().toLowerCase(Locale.ROOT))
                .with("decided_by", a.decidedBy)
                .with("decided_via", a.decidedVia)
                .with("decided_at", a.decidedAt == null ? null : a.decidedAt.toString());
    }

    private TierRouting routing(String project, String tier) {
        ProjectPolicy policy = policies.project(project).orElseThrow(() ->
                new IllegalStateException("project " + project + " has no policy"));
        return policy.routing().forApproval(tier);
    }
}
