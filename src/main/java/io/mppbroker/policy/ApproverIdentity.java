package io.mppbroker.policy;

import java.util.Set;

/**
 * Who an approver token belongs to. The same approver (same id, same token hash) may be listed in several
 * projects, so the identity carries every project that lists it.
 */
public record ApproverIdentity(String approverId, Set<String> projects) {
    public ApproverIdentity {
        projects = Set.copyOf(projects);
    }

    public boolean mayApprove(String project) {
        return projects.contains(project);
    }
}
