package io.mppbroker.access;

import io.mppbroker.api.Durations;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * An access request as the agent and approvers see it. {@code action} is the first (usually only) action asked
 * for, {@code actions} all of them; {@code ttl} and {@code proposal.grant.expires_in} are durations as typed
 * ({@code 24h}); {@code grant} is set once approved (and stays, with its {@code status}, after expiry or
 * revocation).
 */
public record AccessRequestView(String id, String status, String project, String agent, String action,
                                List<String> actions, String resource, Map<String, String> context,
                                String justification, String ttl, Long derivedFrom, String createdAt, String decidedAt,
                                String decidedBy, String note, String approvalId, Proposal proposal, GrantView grant) {

    public record Proposal(ProposedGrant grant, String diff) {}

    public record ProposedGrant(String service, List<String> actions, List<String> resources, List<String> branches,
                                String expiresIn) {}

    public static AccessRequestView of(AccessRequestRecord r, IssuedGrant g, Instant now) {
        GrantProposal p = r.proposal;
        return new AccessRequestView(r.id, r.status.name().toLowerCase(Locale.ROOT), r.project, r.agent,
                r.actions.get(0), r.actions, r.resource, r.context, r.justification,
                Durations.format(java.time.Duration.ofSeconds(r.ttlSeconds)), r.derivedFrom, r.createdAt.toString(),
                r.decidedAt == null ? null : r.decidedAt.toString(), r.decidedBy, r.note, r.approvalId,
                new Proposal(new ProposedGrant(p.service(), p.actions(), p.resources(), p.branches(),
                        Durations.format(p.ttl())), r.diff),
                g == null ? null : GrantView.of(g, now));
    }
}
