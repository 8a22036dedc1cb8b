package io.mppbroker.access;

import io.mppbroker.api.ApiProblem;
import io.mppbroker.policy.Grant;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The grant the broker proposes for an access request: exactly the actions and the resource asked for, nothing
 * added (no wildcard, no sibling action, a read stays a read), the git branch named in the context, and the TTL.
 * {@code actions} are service-local ({@code charges:read} of {@code stripe:charges:read}), as in a policy file.
 * An approver may only narrow it ({@link #narrowed}): a shorter TTL, fewer actions.
 */
public record GrantProposal(String service, List<String> actions, List<String> resources, List<String> branches,
                            long ttlSeconds) {

    public GrantProposal {
        actions = List.copyOf(actions);
        resources = resources == null ? List.of() : List.copyOf(resources);
        branches = branches == null ? List.of() : List.copyOf(branches);
    }

    /** {@code fullActions} are {@code <service>:<action>}, all of {@code service}. */
    public static GrantProposal leastPrivilege(String service, List<String> fullActions, String resource,
                                               Map<String, String> context, Duration ttl) {
        List<String> local = fullActions.stream().map(a -> a.substring(service.length() + 1)).toList();
        String branch = context == null ? null : context.get("branch");
        return new GrantProposal(service, local, resource == null ? List.of() : List.of(resource),
                "git".equals(service) && branch != null ? List.of(branch) : List.of(), ttl.toSeconds());
    }

    public Duration ttl() {
        return Duration.ofSeconds(ttlSeconds);
    }

    /** Full action names, {@code stripe:charges:read}. */
    public List<String> fullActions() {
        return actions.stream().map(a -> service + ":" + a).toList();
    }

    /**
     * What an approver approves: this proposal, or a narrower one. {@code ttl} null keeps the TTL; {@code keep}
     * null or empty keeps every action; actions may be named in full ({@code stripe:charges:read}) or as in the
     * grant ({@code charges:read}). Anything broader is refused: an approval never grants more than was asked.
     */
    public GrantProposal narrowed(Duration ttl, List<String> keep) {
        if (ttl != null && ttl.compareTo(ttl()) > 0) {
            throw ApiProblem.badRequest("ttl " + ttl.toSeconds() + "s is longer than the " + ttlSeconds
                    + "s asked for; an approval can shorten the TTL, never extend it");
        }
        List<String> kept = actions;
        if (keep != null && !keep.isEmpty()) {
            kept = new ArrayList<>();
            for (String a : keep) {
                String local = a != null && a.startsWith(service + ":") ? a.substring(service.length() + 1) : a;
                if (!actions.contains(local)) {
                    throw ApiProblem.badRequest("action " + a + " was not asked for (asked: " + fullActions()
                            + "); an approval can drop actions, never add them");
                }
                if (!kept.contains(local)) kept.add(local);
            }
        }
        return new GrantProposal(service, kept, resources, branches, ttl == null ? ttlSeconds : ttl.toSeconds());
    }

    public Grant toGrant(String id, Instant expires) {
        return new Grant(id, service, actions, resources, branches, List.of(), expires);
    }
}
