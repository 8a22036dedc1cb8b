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
    private final AuditTrail audit;

    public AccessService(PolicyRegistry policies, AuditTrail audit) {
        this.policies = policies;
        this.audit = audit;
    }

    /** A decision together with the policy version it was made under (null when the project has no policy). */
    public record Checked(AccessDecision decision, String policyVersion) {}

    public Checked check(AgentIdentity agent, AccessRequest request) {
        ProjectPolicy policy = policies.project(agent.project()).orElse(null);
        if (policy == null) {
            return new Checked(AccessDecision.deny(null, "project " + agent.project() + " has no policy in force"), null);
        }
        return new Checked(AccessPolicy.authorize(policy, request), policy.versionHash());
    }

    /** One audit line for one decision, in its own transaction; {@code httpStatus} is what the agent got. */
    @Transactional(Transactional.TxType.REQUIRES_NEW)
    public void record(AgentIdentity agent, AccessRequest request, Checked checked, int httpStatus) {
        AccessDecision d = checked.decision();
        audit.record(new AccessAuditEntry(Instant.now(), agent.agentId(), agent.project(), request.action(),
                request.resource(), d.verdict().name(), d.reason(), httpStatus, d.grantId(),
                d.allowed() ? APPROVED_BY_POLICY : null, null, checked.policyVersion()));
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
