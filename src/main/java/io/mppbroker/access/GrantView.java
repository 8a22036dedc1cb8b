package io.mppbroker.access;

import java.time.Instant;
import java.util.List;

/** An issued grant as agents and approvers see it; {@code actions} as in a policy file ({@code charges:read}). */
public record GrantView(String id, String project, String service, List<String> actions, List<String> resources,
                        List<String> branches, String expiresAt, String approvedBy, String status, String approvalId,
                        String accessRequestId, String createdAt, String revokedAt, String revokedBy) {

    public static GrantView of(IssuedGrant g, Instant now) {
        return new GrantView(g.id, g.project, g.service, g.actions, g.resources, g.branches, g.expiresAt.toString(),
                g.approvedBy, g.state(now), g.approvalId, g.accessRequestId, g.createdAt.toString(),
                g.revokedAt == null ? null : g.revokedAt.toString(), g.revokedBy);
    }
}
