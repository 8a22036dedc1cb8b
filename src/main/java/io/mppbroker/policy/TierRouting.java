package io.mppbroker.policy;

import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Who decides payments of one tier: the routes are asked in order, each after the previous one's timeout,
 * and the payment is approved once {@code requiredApprovals} distinct approvers approved it. Approvers of
 * earlier routes stay asked after an escalation (see {@link #approversUpTo}).
 */
public record TierRouting(int requiredApprovals, List<Route> routes) {
    public TierRouting {
        routes = List.copyOf(routes);
        if (routes.isEmpty()) throw new IllegalArgumentException("a tier routing needs at least one route");
        if (requiredApprovals < 1) throw new IllegalArgumentException("requiredApprovals must be at least 1: " + requiredApprovals);
        int reachable = allApprovers(routes).size();
        if (requiredApprovals > reachable) {
            throw new IllegalArgumentException(requiredApprovals + " approvals required but the routes reach only " + reachable + " approvers");
        }
    }

    /** One route with every approver of the file, dashboard only, 24h, one approval. */
    public static TierRouting builtIn(List<String> approverIds) {
        return new TierRouting(1, List.of(Route.builtIn(approverIds)));
    }

    /**
     * Approvers who may answer once route {@code routeIndex} has been reached: the union of the approvers of
     * routes 0..routeIndex, in order of first appearance. An index past the last route means the last route
     * (the question keeps waiting there under {@code on_final_timeout: keep_waiting}).
     */
    public Set<String> approversUpTo(int routeIndex) {
        if (routeIndex < 0) throw new IndexOutOfBoundsException("routeIndex " + routeIndex);
        return allApprovers(routes.subList(0, Math.min(routeIndex, routes.size() - 1) + 1));
    }

    /** Every approver reachable in this tier, in order of first appearance. */
    public Set<String> allApprovers() {
        return approversUpTo(routes.size() - 1);
    }

    private static Set<String> allApprovers(List<Route> routes) {
        Set<String> ids = new LinkedHashSet<>();
        routes.forEach(r -> ids.addAll(r.approvers()));
        return Collections.unmodifiableSet(ids);
    }
}
