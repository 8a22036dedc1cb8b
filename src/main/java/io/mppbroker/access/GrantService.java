package io.mppbroker.access;

import io.mppbroker.api.ApiProblem;
import io.mppbroker.audit.AccessAuditEntry;
import io.mppbroker.audit.AuditTrail;
import io.mppbroker.auth.Callers;
import io.mppbroker.events.Changes;
import io.mppbroker.payment.Ids;
import io.mppbroker.policy.ApproverIdentity;
import io.mppbroker.policy.PolicyRegistry;
import io.mppbroker.policy.ProjectPolicy;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Set;

/**
 * One service for issued grants: issued when an access request is approved, listed, revoked by an approver, and
 * recorded once as expired. The expiry line is claimed with {@code FOR UPDATE SKIP LOCKED} and a conditional
 * column, so with several nodes it is written exactly once. After each change the grant is re-read into
 * {@link IssuedGrants} here and announced to the other nodes.
 */
@ApplicationScoped
public class GrantService {

    private final IssuedGrants issued;
    private final AuditTrail audit;
    private final Changes changes;
    private final PolicyRegistry policies;
    private final EntityManager em;
    private final Clock clock = Clock.systemUTC();

    public GrantService(IssuedGrants issued, AuditTrail audit, Changes changes, PolicyRegistry policies, EntityManager em) {
        this.issued = issued;
        this.audit = audit;
        this.changes = changes;
        this.policies = policies;
        this.em = em;
    }

    /** Issues the (possibly narrowed) proposal of an approved request, in the approval's transaction. */
    @Transactional(Transactional.TxType.MANDATORY)
    public IssuedGrant issue(AccessRequestRecord r, GrantProposal granted, String approvalId, String approvedBy, Instant now) {
        IssuedGrant g = new IssuedGrant();
        g.id = Ids.next(AccessRequestService.GRANT_PREFIX);
        g.project = r.project;
        g.service = granted.service();
        g.actions = granted.actions();
        g.resources = granted.resources();
        g.branches = granted.branches();
        // PostgreSQL keeps microseconds: the instant in memory, in audit lines and in the database must be one value.
        g.expiresAt = now.plus(granted.ttl()).truncatedTo(ChronoUnit.MICROS);
        g.approvedBy = approvedBy;
        g.approvalId = approvalId;
        g.accessRequestId = r.id;
        g.createdAt = now.truncatedTo(ChronoUnit.MICROS);
        g.persist();
        return g;
    }

    @Transactional(Transactional.TxType.MANDATORY)
    void recordAdded(AccessRequestRecord r, IssuedGrant g, Instant now) {
        line(g, r.agent, "grant.added", "ALLOW", "grant " + g.id + " added: " + summary(g) + " until " + g.expiresAt
                + ", approved by " + g.approvedBy, now);
    }

    /** After commit: this node applies the grant now; the others on the wake-up (or their poll). */
    void applied(String grantId) {
        issued.refresh();
        changes.changed(grantId);
    }

    public List<GrantView> list(Callers.Caller caller, String project) {
        Set<String> projects = caller.agent().map(a -> Set.of(a.project()))
                .orElseGet(() -> caller.approver().orElseThrow().projects());
        if (project != null) {
            if (!projects.contains(project)) {
                return List.of(); // other projects' grants are none of this caller's business
            }
            projects = Set.of(project);
        }
        Set<String> asked = projects;
        Instant now = clock.instant();
        return QuarkusTransaction.requiringNew().call(() ->
                IssuedGrant.activeIn(asked, now).stream().map(g -> GrantView.of(g, now)).toList());
    }

    /** An approver of the grant's project takes it back; it stops allowing at once on this node. */
    public GrantView revoke(ApproverIdentity approver, String grantId, String note) {
        if (note != null && note.length() > 2000) {
            throw ApiProblem.badRequest("note is at most 2000 characters");
        }
        String requestId = QuarkusTransaction.requiringNew().call(() -> {
            IssuedGrant g = IssuedGrant.findById(grantId);
            if (g == null || !approver.mayApprove(g.project)) {
                throw ApiProblem.notFound("no grant " + grantId);
            }
            Instant now = clock.instant();
            if (g.revokedAt != null) {
                throw ApiProblem.conflict("grant-already-revoked", "grant " + grantId + " was revoked by " + g.revokedBy
                        + " at " + g.revokedAt).with("revoked_by", g.revokedBy).with("revoked_at", g.revokedAt.toString());
            }
            if (!now.isBefore(g.expiresAt)) {
                throw ApiProblem.conflict("grant-expired", "grant " + grantId + " expired at " + g.expiresAt);
            }
            int updated = IssuedGrant.update("revokedAt = ?1, revokedBy = ?2 where id = ?3 and revokedAt is null",
                    now, approver.approverId(), grantId);
            if (updated == 0) {
                throw ApiProblem.conflict("grant-already-revoked", "grant " + grantId + " was just revoked by someone else");
            }
            em.refresh(g);
            line(g, agentOf(g), "grant.revoked", "DENY", "grant " + g.id + " revoked by " + approver.approverId()
                    + (note == null || note.isBlank() ? "" : ": " + note), now);
            return g.accessRequestId;
        });
        applied(grantId);
        changes.changed(requestId);
        return QuarkusTransaction.requiringNew().call(() -> GrantView.of(IssuedGrant.findById(grantId), clock.instant()));
    }

    /** Writes {@code grant.expired} once per grant that reached its expiry unrevoked; returns how many. */
    public int recordExpiries() {
        record Expired(String grantId, String requestId) {}
        List<Expired> expired = QuarkusTransaction.requiringNew().call(() -> {
            Instant now = clock.instant();
            @SuppressWarnings("unchecked")
            List<IssuedGrant> due = em.createNativeQuery("""
                            SELECT * FROM access_grant
                             WHERE revoked_at IS NULL AND expiry_recorded_at IS NULL AND expires_at <= :now
                             ORDER BY expires_at LIMIT 100 FOR UPDATE SKIP LOCKED""", IssuedGrant.class)
                    .setParameter("now", now).getResultList();
            for (IssuedGrant g : due) {
                g.expiryRecordedAt = now;
                line(g, agentOf(g), "grant.expired", "DENY", "grant " + g.id + " expired at " + g.expiresAt, now);
            }
            return due.stream().map(g -> new Expired(g.id, g.accessRequestId)).toList();
        });
        if (!expired.isEmpty()) {
            issued.refresh();
            expired.forEach(e -> {
                changes.changed(e.grantId());
                changes.changed(e.requestId());
            });
        }
        return expired.size();
    }

    private static String agentOf(IssuedGrant g) {
        AccessRequestRecord r = AccessRequestRecord.findById(g.accessRequestId);
        return r == null ? null : r.agent;
    }

    static String summary(IssuedGrant g) {
        return g.service + " " + g.actions + (g.resources.isEmpty() ? " on any resource" : " on " + g.resources)
                + (g.branches.isEmpty() ? "" : " branches " + g.branches);
    }

    private void line(IssuedGrant g, String agent, String event, String decision, String reason, Instant now) {
        audit.record(new AccessAuditEntry(now, event, agent, g.project,
                String.join(",", g.actions.stream().map(a -> g.service + ":" + a).toList()),
                g.resources.isEmpty() ? null : String.join(",", g.resources), decision, reason, null, g.id, g.approvedBy,
                g.expiresAt, policies.project(g.project).map(ProjectPolicy::versionHash).orElse(null), g.accessRequestId));
    }
}
