package io.mppbroker.dashboard;

import io.mppbroker.policy.ApproverIdentity;
import io.mppbroker.policy.PolicyRegistry;
import io.mppbroker.policy.ProjectPolicy;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Who a logged-in approver is for the broker: the approver id is the login name, and the projects are every
 * policy file that lists that id under {@code approvers}, as the policies stand now (a reload that removes
 * the approver takes the project away at the next request).
 */
@ApplicationScoped
public class DashboardApprovers {

    private final PolicyRegistry policies;

    public DashboardApprovers(PolicyRegistry policies) {
        this.policies = policies;
    }

    /** Empty when no policy in force lists the approver. */
    public Optional<ApproverIdentity> byId(String approverId) {
        if (approverId == null) {
            return Optional.empty();
        }
        Set<String> projects = new TreeSet<>();
        for (ProjectPolicy p : policies.all()) {
            if (p.approver(approverId).isPresent()) {
                projects.add(p.project());
            }
        }
        return projects.isEmpty() ? Optional.empty() : Optional.of(new ApproverIdentity(approverId, projects));
    }
}
