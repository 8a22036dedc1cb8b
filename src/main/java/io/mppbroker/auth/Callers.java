package io.mppbroker.auth;

import io.mppbroker.api.ApiProblem;
import io.mppbroker.policy.AgentIdentity;
import io.mppbroker.policy.ApproverIdentity;
import io.mppbroker.policy.PolicyRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Optional;

/**
 * Who is calling: an agent or an approver, identified by the SHA-256 of their bearer token as listed in
 * the project policy files. Agents and approvers are distinct: an agent token never approves anything.
 */
@ApplicationScoped
public class Callers {

    private final PolicyRegistry policies;

    public Callers(PolicyRegistry policies) {
        this.policies = policies;
    }

    public AgentIdentity agent(String authorization) {
        String token = BearerToken.from(authorization);
        return policies.agentByToken(token).orElseThrow(() -> policies.approverByToken(token).isPresent()
                ? ApiProblem.forbidden("not-an-agent", "this token belongs to an approver, not an agent")
                : ApiProblem.unauthorized("unknown bearer token"));
    }

    public ApproverIdentity approver(String authorization) {
        String token = BearerToken.from(authorization);
        return policies.approverByToken(token).orElseThrow(() -> policies.agentByToken(token).isPresent()
                ? ApiProblem.forbidden("agents-cannot-approve", "agents can never approve payments")
                : ApiProblem.unauthorized("unknown bearer token"));
    }

    /** For read endpoints open to both kinds of caller. */
    public Caller any(String authorization) {
        String token = BearerToken.from(authorization);
        Optional<AgentIdentity> agent = policies.agentByToken(token);
        if (agent.isPresent()) {
            return new Caller(agent, Optional.empty());
        }
        return new Caller(Optional.empty(), Optional.of(policies.approverByToken(token)
                .orElseThrow(() -> ApiProblem.unauthorized("unknown bearer token"))));
    }

    public record Caller(Optional<AgentIdentity> agent, Optional<ApproverIdentity> approver) {

        public boolean mayRead(String project, String agentId) {
            return agent.map(a -> a.project().equals(project) && a.agentId().equals(agentId))
                    .orElseGet(() -> approver.map(a -> a.mayApprove(project)).orElse(false));
        }
    }
}
