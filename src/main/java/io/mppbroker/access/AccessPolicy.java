package io.mppbroker.access;

import io.mppbroker.policy.Grant;
import io.mppbroker.policy.ProjectPolicy;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Deny by default: a request is allowed only when one of the project's grants names its service, one of its
 * actions, its resource and (where the grant restricts branches) its branch. A grant's {@code deny} substrings
 * found in the request's {@code command} refuse the request outright, whatever other grant would allow it:
 * a forbidden command stays forbidden. The grants are the policy file's plus those issued by approved access
 * requests; a grant whose {@code expires} has come allows nothing. Pure: no I/O, the clock is a parameter.
 */
public final class AccessPolicy {

    private AccessPolicy() {}

    /** The policy file's grants alone, now. */
    public static AccessDecision authorize(ProjectPolicy policy, AccessRequest request) {
        return authorize(policy, List.of(), request, Instant.now());
    }

    /** The policy file's grants and the {@code issued} ones, as they stand at {@code now}. */
    public static AccessDecision authorize(ProjectPolicy policy, List<Grant> issued, AccessRequest request, Instant now) {
        List<Grant> grants = new ArrayList<>(policy.grants());
        grants.addAll(issued);
        grants.removeIf(g -> !g.activeAt(now));
        String project = policy.project();
        String service = request.service();
        String action = request.serviceAction();
        if (action.isEmpty()) {
            return AccessDecision.deny(null, "action " + quote(request.action()) + " names no service action (write <service>:<action>, e.g. git:push)");
        }
        List<Grant> forService = grants.stream().filter(g -> g.service().equals(service)).toList();
        if (forService.isEmpty()) {
            return AccessDecision.deny(null, "no policy grants " + service + ":* for " + project);
        }
        List<Grant> forAction = forService.stream()
                .filter(g -> g.actions().stream().anyMatch(p -> AccessPatterns.action(p, action))).toList();
        if (forAction.isEmpty()) {
            return AccessDecision.deny(null, "no policy grants " + request.action() + " for " + project);
        }
        String command = request.context().get("command");
        if (command != null) {
            for (Grant g : forAction) {
                for (String denied : g.deny()) {
                    if (command.contains(denied)) {
                        return AccessDecision.deny(g.id(), "command contains " + quote(denied) + ", denied by grant " + g.id());
                    }
                }
            }
        }
        String resource = request.resource();
        String branch = request.context().get("branch");
        String miss = null;
        for (Grant g : forAction) {
            if (!g.resources().isEmpty()
                    && (resource == null || g.resources().stream().noneMatch(p -> AccessPatterns.resource(p, resource)))) {
                if (miss == null) {
                    miss = resource == null ? "grant " + g.id() + " needs a resource (one of " + g.resources() + ")"
                            : "no grant for " + request.action() + " covers resource " + resource;
                }
                continue;
            }
            if (!g.branches().isEmpty()
                    && (branch == null || g.branches().stream().noneMatch(p -> AccessPatterns.glob(p, branch)))) {
                if (miss == null || miss.startsWith("no grant")) {
                    miss = branch == null ? "grant " + g.id() + " allows only branches " + g.branches() + " and the request names none"
                            : "branch " + branch + " is not in " + g.branches() + " of grant " + g.id();
                }
                continue;
            }
            return AccessDecision.allow(g.id(), "granted by " + g.id());
        }
        return AccessDecision.deny(null, miss);
    }

    private static String quote(String s) {
        return "\"" + s + "\"";
    }
}
