package io.mppbroker.access;

import io.mppbroker.api.ApiProblem;
import io.mppbroker.audit.AccessAuditEntry;
import io.mppbroker.audit.AuditTrail;
import io.mppbroker.policy.AgentIdentity;
import io.mppbroker.policy.PolicyRegistry;
import io.mppbroker.policy.ProjectPolicy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.time.Instant;

/** Decides access requests against the agent's project policy in force and writes each decision's audit line. */
@ApplicationScoped
public class AccessService {

    /** {@code approved_by} of lines allowed by a grant written in a policy file. */
    public static final String APPROVED_BY_POLICY = "policy";

    private final PolicyRegistry policies;
    private final IssuedGrants issued;
    private final AuditTrail audit;

    public AccessService(PolicyRegistry policies, IssuedGrants issued, AuditTrail audit) {
        this.policies = policies;
        this.issued = issued;
        this.audit = audit;
    }

    /**
     * A decision together with the policy version it was made under (null when the project has no policy) and,
     * when an issued grant allowed it, who approved that grant and until when.
     */
    public record Checked(AccessDecision decision, String policyVersion, String approvedBy, Instant expires) {}

    public Checked check(AgentIdentity agent, AccessRequest request) {
        ProjectPolicy policy = policies.project(agent.project()).orElse(null);
        if (policy == null) {
            return new Checked(AccessDecision.deny(null, "project " + agent.project() + " has no policy in force"), null, null, null);
        }
        Instant now = Instant.now();
        AccessDecision d = AccessPolicy.authorize(policy, issued.forProject(agent.project()), request, now);
        if (!d.allowed()) {
            return new Checked(d, policy.versionHash(), null, null);
        }
        return issued.byId(d.grantId())
                .map(g -> new Checked(d, policy.versionHash(), g.approvedBy(), g.grant().expires()))
                .orElseGet(() -> new Checked(d, policy.versionHash(), APPROVED_BY_POLICY, policy.grants().stream()
                        .filter(g -> g.id().equals(d.grantId())).findFirst().map(g -> g.expires()).orElse(null)));
    }

    /** One audit line for one decision, in its own transaction; {@code httpStatus} is what the agent got. */
    @Transactional(Transactional.TxType.REQUIRES_NEW)
    public void record(AgentIdentity agent, AccessRequest request, Checked checked, int httpStatus) {
        AccessDecision d = checked.decision();
        audit.record(new AccessAuditEntry(Instant.now(), agent.agentId(), agent.project(), request.action(),
                request.resource(), d.verdict().name(), d.reason(), httpStatus, d.grantId(),
                checked.approvedBy(), checked.expires(), checked.policyVersion()));
    }

    /** The 403 an agent gets for a DENY: problem+json carrying the decision and its reason. */
    public static ApiProblem denied(AccessRequest request, AccessDecision decision) {
        return ApiProblem.forbidden("access-denied", decision.reason())
                .with("decision", decision.verdict().name())
                .with("reason", decision.reason())
                .with("action", request.action())
                .with("resource", request.resource())
                .with("grant_id", decision.grantId());
    }
}
