package io.mppbroker.access;

import io.mppbroker.api.ApiProblem;
import io.mppbroker.api.Durations;
import io.mppbroker.approval.Approval;
import io.mppbroker.approval.ApprovalDecision;
import io.mppbroker.approval.ApprovalService;
import io.mppbroker.audit.AccessAuditEntry;
import io.mppbroker.audit.AuditChain;
import io.mppbroker.audit.AuditEvent;
import io.mppbroker.audit.AuditLines;
import io.mppbroker.audit.AuditTrail;
import io.mppbroker.auth.Callers;
import io.mppbroker.events.Changes;
import io.mppbroker.payment.Ids;
import io.mppbroker.policy.AgentIdentity;
import io.mppbroker.policy.ApproverIdentity;
import io.mppbroker.policy.PolicyRegistry;
import io.mppbroker.policy.ProjectPolicy;
import io.mppbroker.policy.Sha256;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.panache.common.Sort;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.PersistenceException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One service for the access request aggregate: an agent asks for access it lacks, the broker proposes the
 * least-privilege grant and asks the approvers, an approver approves (possibly narrowed), denies, or nobody
 * answers in time. Approval issues the grant ({@link GrantService#issue}) in the same transaction. Every step is
 * an audit line; every status change is announced with {@link Changes#changed} after commit.
 */
@ApplicationScoped
public class AccessRequestService {

    public static final String PREFIX = "acr";
    public static final String GRANT_PREFIX = "grt";
    static final int MAX_JUSTIFICATION = 2000;
    static final int MAX_ACTIONS = 20;
    static final int MAX_RESOURCE = 2048;
    static final int MAX_CONTEXT = 20;
    private static final Pattern ACTION = Pattern.compile("([a-z0-9][a-z0-9_.-]{0,62}):(\\S{1,200})");

    private final PolicyRegistry policies;
    private final ApprovalService approvals;
    private final GrantService grants;
    private final AccessService access;
    private final AuditTrail audit;
    private final AuditChain chain;
    private final Changes changes;
    private final AccessConfig config;
    private final Clock clock = Clock.systemUTC();

    public AccessRequestService(PolicyRegistry policies, ApprovalService approvals, GrantService grants,
                                AccessService access, AuditTrail audit, AuditChain chain, Changes changes,
                                AccessConfig config) {
        this.policies = policies;
        this.approvals = approvals;
        this.grants = grants;
        this.access = access;
        this.audit = audit;
        this.chain = chain;
        this.changes = changes;
        this.config = config;
    }

    /** What was asked once validated, with the denial it was derived from (null when the agent named it). */
    record Asked(String service, List<String> actions, String resource, Map<String, String> context, Duration ttl,
                 String justification, Long derivedFrom) {}

    /**
     * Opens an access request and asks its approvers. With an idempotency key (REST {@code Idempotency-Key}, A2A
     * {@code a2a:<messageId>}) a resent request, also one sent twice at once, answers the first request instead of
     * opening a second request and a second approval; the same key for a different request is refused (422).
     */
    public AccessRequestView submit(AgentIdentity agent, SubmitAccessRequest body, String idempotencyKey) {
        if (idempotencyKey != null && (idempotencyKey.isBlank() || idempotencyKey.length() > 255)) {
            throw ApiProblem.badRequest("Idempotency-Key must be 1 to 255 characters");
        }
        String requestHash = idempotencyKey == null ? null : Sha256.hex(canonicalBody(body));
        if (idempotencyKey != null) {
            Optional<AccessRequestView> first = replay(agent, idempotencyKey, requestHash);
            if (first.isPresent()) {
                return first.get();
            }
        }
        try {
            return open(agent, body, idempotencyKey, requestHash);
        } catch (PersistenceException e) {
            // A concurrent request with the same key won the insert (and its approval); ours rolled back whole.
            if (idempotencyKey != null) {
                Optional<AccessRequestView> winner = replay(agent, idempotencyKey, requestHash);
                if (winner.isPresent()) {
                    return winner.get();
                }
            }
            throw e;
        }
    }

    private Optional<AccessRequestView> replay(AgentIdentity agent, String idempotencyKey, String requestHash) {
        Optional<AccessRequestRecord> existing = QuarkusTransaction.requiringNew().call(() ->
                AccessRequestRecord.byIdempotencyKey(agent.project(), agent.agentId(), idempotencyKey));
        if (existing.isEmpty()) {
            return Optional.empty();
        }
        if (!requestHash.equals(existing.get().requestHash)) {
            throw new ApiProblem(422, "idempotency-key-reused", "Idempotency key reused",
                    "this Idempotency-Key was used for a different access request").with("access_request_id", existing.get().id);
        }
        return Optional.of(view(agent, existing.get().id));
    }

    private static byte[] canonicalBody(SubmitAccessRequest body) {
        try {
            return AuditLines.canonical(body == null ? Map.of() : body);
        } catch (IllegalArgumentException e) {
            throw ApiProblem.badRequest("body is not valid JSON: " + e.getMessage());
        }
    }

    private AccessRequestView open(AgentIdentity agent, SubmitAccessRequest body, String idempotencyKey, String requestHash) {
        Asked asked = validate(agent, body);
        ProjectPolicy policy = policies.project(agent.project()).orElseThrow(() -> ApiProblem.conflict(
                "project-without-policy", "project " + agent.project() + " has no valid policy loaded"));
        boolean allowedAlready = asked.actions().stream().allMatch(a ->
                access.check(agent, new AccessRequest(a, asked.resource(), asked.context())).decision().allowed());
        if (allowedAlready) {
            throw ApiProblem.conflict("already-allowed", "the policy already allows " + String.join(", ", asked.actions())
                    + (asked.resource() == null ? "" : " on " + asked.resource()) + " for " + agent.agentId());
        }
        Instant now = clock.instant();
        GrantProposal proposal = GrantProposal.leastPrivilege(asked.service(), asked.actions(), asked.resource(),
                asked.context(), asked.ttl());
        String diff = PolicyDiff.of(policy.source(), proposal, now.plus(asked.ttl()));
        String id = Ids.next(PREFIX);
        QuarkusTransaction.requiringNew().run(() -> {
            AccessRequestRecord r = new AccessRequestRecord();
            r.id = id;
            r.project = agent.project();
            r.agent = agent.agentId();
            r.service = asked.service();
            r.actions = asked.actions();
            r.resource = asked.resource();
            r.context = asked.context();
            r.justification = asked.justification();
            r.ttlSeconds = asked.ttl().toSeconds();
            r.derivedFrom = asked.derivedFrom();
            r.proposal = proposal;
            r.diff = diff;
            r.status = AccessRequestRecord.Status.PENDING;
            r.idempotencyKey = idempotencyKey;
            r.requestHash = requestHash;
            r.createdAt = now;
            r.updatedAt = now;
            r.persist();
            r.flush();
            line(r, "access_request.created", null, "requested " + describe(r.actions, r.resource) + " for "
                    + Durations.format(asked.ttl()) + (asked.derivedFrom() == null ? ""
                    : " (derived from the denial at audit seq " + asked.derivedFrom() + ")")
                    + ": " + asked.justification(), null, null, null, now);
            Approval a = approvals.openForAccess(id, r.project, r.agent, "access request: " + describe(r.actions, r.resource), now);
            r.approvalId = a.id;
            line(r, "access_request.proposed", "ASK", "proposed grant " + proposal.service() + " " + proposal.actions()
                    + (proposal.resources().isEmpty() ? "" : " on " + proposal.resources())
                    + (proposal.branches().isEmpty() ? "" : " branches " + proposal.branches())
                    + " for " + Durations.format(proposal.ttl()) + "; asked approval " + a.id, null, null, null, now);
        });
        changes.changed(id);
        return view(agent, id);
    }

    public AccessRequestView view(AgentIdentity agent, String id) {
        return view(new Callers.Caller(Optional.of(agent), Optional.empty()), id);
    }

    /** The request, for its agent or an approver of its project; 404 for anyone else. */
    public AccessRequestView view(Callers.Caller caller, String id) {
        return QuarkusTransaction.requiringNew().call(() -> {
            AccessRequestRecord r = AccessRequestRecord.findById(id);
            if (r == null || !caller.mayRead(r.project, r.agent)) {
                throw ApiProblem.notFound("no access request " + id);
            }
            return AccessRequestView.of(r, r.grantId == null ? null : IssuedGrant.findById(r.grantId), clock.instant());
        });
    }

    /** The view by approval, for approval listings; null when the approval is not about access. */
    public AccessRequestView viewOfApproval(Approval a) {
        if (!a.isAboutAccess()) return null;
        return QuarkusTransaction.requiringNew().call(() -> {
            AccessRequestRecord r = AccessRequestRecord.findById(a.accessRequestId);
            return AccessRequestView.of(r, r.grantId == null ? null : IssuedGrant.findById(r.grantId), clock.instant());
        });
    }

    /**
     * An approver's answer (through {@code ApprovalAnswers}). A narrowing is checked against the proposal before
     * the vote is counted, so an answer broader than the request changes nothing. On approval the grant is issued in
     * the same transaction, applied on this node at once and announced to the others.
     */
    public ApprovalService.Outcome decide(ApproverIdentity approver, String approvalId, ApprovalDecision decision, String via) {
        record Result(ApprovalService.Outcome outcome, String requestId, String grantId) {}
        Result result = QuarkusTransaction.requiringNew().call(() -> {
            Approval a = Approval.findById(approvalId);
            AccessRequestRecord r = AccessRequestRecord.findById(a.accessRequestId);
            ApprovalDecision.Narrowing n = decision.narrowing();
            GrantProposal granted = decision.approves() && n != null ? r.proposal.narrowed(n.ttl(), n.actions()) : r.proposal;
            Instant now = clock.instant();
            ApprovalService.Outcome outcome = approvals.answer(approver.approverId(), approvalId, decision, via, now);
            String who = approver.approverId();
            String note = decision.note() == null ? "" : ": " + decision.note();
            String grantId = null;
            switch (outcome) {
                case VOTE_RECORDED -> line(r, "access_request.vote", "ASK", who + " approved via " + via + "; "
                        + a.requiredApprovals + " distinct approvals are required", who, null, null, now);
                case DENIED -> {
                    r.status = AccessRequestRecord.Status.DENIED;
                    r.decidedBy = who;
                    r.decidedAt = now;
                    r.note = decision.note();
                    r.updatedAt = now;
                    line(r, "access_request.denied", "DENY", "denied by " + who + " via " + via + note, who, null, null, now);
                }
                case APPROVED -> {
                    IssuedGrant g = grants.issue(r, granted, a.id, who, now);
                    if (!granted.equals(r.proposal)) {
                        Map<String, Object> narrowed = new LinkedHashMap<>();
                        narrowed.put("ttl", Durations.format(granted.ttl()));
                        narrowed.put("actions", granted.fullActions());
                        approvals.recordRevision(a.id, narrowed);
                    }
                    r.status = AccessRequestRecord.Status.APPROVED;
                    r.grantId = g.id;
                    r.decidedBy = who;
                    r.decidedAt = now;
                    r.note = decision.note();
                    r.updatedAt = now;
                    grantId = g.id;
                    line(r, "access_request.approved", "ALLOW", "approved by " + who + " via " + via
                            + (granted.equals(r.proposal) ? "" : ", narrowed to " + granted.fullActions() + " for "
                            + Durations.format(granted.ttl())) + note, who, g.id, g.expiresAt, now);
                    grants.recordAdded(r, g, now);
                }
            }
            return new Result(outcome, r.id, grantId);
        });
        if (result.grantId() != null) {
            grants.applied(result.grantId());
        }
        changes.changed(result.requestId()); // a vote changes no status, but boards and cards show it
        return result.outcome();
    }

    /** The agent no longer needs it: only a pending request can be withdrawn. */
    public AccessRequestView withdraw(AgentIdentity agent, String id) {
        QuarkusTransaction.requiringNew().run(() -> {
            AccessRequestRecord r = AccessRequestRecord.findById(id);
            if (r == null || !r.agent.equals(agent.agentId()) || !r.project.equals(agent.project())) {
                throw ApiProblem.notFound("no access request " + id);
            }
            if (r.status != AccessRequestRecord.Status.PENDING) {
                throw ApiProblem.conflict("access-request-not-withdrawable", "access request " + id + " is "
                        + r.status.name().toLowerCase(java.util.Locale.ROOT) + "; only a pending one can be withdrawn");
            }
            Instant now = clock.instant();
            approvals.close(r.approvalId, Approval.Status.WITHDRAWN, now);
            r.status = AccessRequestRecord.Status.WITHDRAWN;
            r.decidedAt = now;
            r.updatedAt = now;
            line(r, "access_request.withdrawn", null, "withdrawn by the agent", null, null, null, now);
        });
        changes.changed(id);
        return view(agent, id);
    }

    /** Moves an unanswered access approval to its next route, or expires the request when the last one timed out. */
    public void escalate(String approvalId) {
        String changed = QuarkusTransaction.requiringNew().call(() -> {
            Instant now = clock.instant();
            ApprovalService.Escalation step = approvals.escalate(approvalId, now);
            Approval a = Approval.findById(approvalId);
            AccessRequestRecord r = AccessRequestRecord.findById(a.accessRequestId);
            switch (step) {
                case ESCALATED -> line(r, "access_request.escalated", "ASK", "no answer in time: approval " + a.id
                        + " escalated to route " + (a.routeIndex + 1), null, null, null, now);
                case KEEP_WAITING -> line(r, "access_request.escalated", "ASK", "last route timed out; the policy keeps "
                        + "approval " + a.id + " open", null, null, null, now);
                case EXPIRED -> {
                    r.status = AccessRequestRecord.Status.EXPIRED;
                    r.decidedAt = now;
                    r.updatedAt = now;
                    line(r, "access_request.expired", "DENY", "nobody answered approval " + a.id
                            + " before the last route timed out: no access granted", null, null, null, now);
                }
                case NOTHING -> {
                    return null;
                }
            }
            return r.id;
        });
        if (changed != null) {
            changes.changed(changed);
        }
    }

    // ---- validation ----------------------------------------------------------------------------------

    Asked validate(AgentIdentity agent, SubmitAccessRequest body) {
        if (body == null) {
            throw ApiProblem.badRequest("body must be a JSON object with justification and, optionally, action, resource, ttl, context");
        }
        if (body.project() != null && !body.project().equals(agent.project())) {
            throw ApiProblem.forbidden("other-project", "agent " + agent.agentId() + " belongs to project "
                    + agent.project() + " and can only request access for it, not for " + body.project());
        }
        String justification = body.justification() == null ? "" : body.justification().strip();
        if (justification.isEmpty() || justification.length() > MAX_JUSTIFICATION) {
            throw ApiProblem.badRequest("justification is required (1 to " + MAX_JUSTIFICATION + " characters): say why the access is needed");
        }
        if (body.action() != null && body.actions() != null) {
            throw ApiProblem.badRequest("give action or actions, not both");
        }
        Map<String, String> context = context(body.context());
        Duration ttl = ttl(body.ttl());
        List<String> actions;
        String resource = resource(body.resource());
        Long derivedFrom = null;
        if (body.action() == null && body.actions() == null) {
            if (resource != null) {
                throw ApiProblem.badRequest("resource needs an action; leave both out to ask for what was last denied");
            }
            AuditEvent denial = lastDenial(agent).orElseThrow(() -> ApiProblem.badRequest("no action given and agent "
                    + agent.agentId() + " has no denied access to derive it from; give action (and resource)"));
            actions = List.of(denial.action);
            resource = denial.resource;
            derivedFrom = denial.seq;
        } else {
            List<String> given = body.action() != null ? List.of(body.action()) : body.actions();
            if (given.isEmpty() || given.size() > MAX_ACTIONS) {
                throw ApiProblem.badRequest("actions must list 1 to " + MAX_ACTIONS + " actions");
            }
            actions = new ArrayList<>(new LinkedHashSet<>(given.stream().map(a -> a == null ? "" : a.strip()).toList()));
            if (resource == null && actions.size() == 1) {
                // The agent named the action only: the resource it was denied on, if any, keeps the grant narrow.
                String only = actions.get(0);
                Optional<AuditEvent> denial = lastDenial(agent).filter(d -> only.equals(d.action) && d.resource != null);
                if (denial.isPresent()) {
                    resource = denial.get().resource;
                    derivedFrom = denial.get().seq;
                }
            }
        }
        String service = null;
        for (String a : actions) {
            var m = ACTION.matcher(a);
            if (!m.matches()) {
                throw ApiProblem.badRequest("action " + quote(a) + " is not <service>:<action> (e.g. stripe:charges:read, git:push)");
            }
            if (m.group(2).contains("*") || m.group(2).contains("?")) {
                throw ApiProblem.badRequest("action " + quote(a) + " has a wildcard; ask for the exact actions needed "
                        + "(a request is granted as asked, so it must be as narrow as the need)");
            }
            if (service != null && !service.equals(m.group(1))) {
                throw ApiProblem.badRequest("all actions of one request must be of one service; ask separately for "
                        + m.group(1) + " and " + service);
            }
            service = m.group(1);
        }
        // Grants match resources and branches as globs: a "*" asked for (or copied from a denial) would become a grant
        // for everything. The proposal is never broader than the request, so patterns are refused here.
        refusePattern("resource", resource);
        refusePattern("context.branch", context.get("branch"));
        return new Asked(service, List.copyOf(actions), resource, context, ttl, justification, derivedFrom);
    }

    private Optional<AuditEvent> lastDenial(AgentIdentity agent) {
        chain.sealPending(); // a denial the agent got a moment ago may still be waiting for its seal
        return QuarkusTransaction.requiringNew().call(() -> AuditEvent.<AuditEvent>find(
                "agent = ?1 and project = ?2 and event = ?3 and decision = 'DENY' and action is not null",
                Sort.descending("seq"), agent.agentId(), agent.project(), AccessAuditEntry.EVENT).firstResultOptional());
    }

    private Duration ttl(String text) {
        if (text == null) return config.defaultTtl();
        Duration ttl = Durations.parse(text).orElseThrow(() -> ApiProblem.badRequest("ttl must be a duration such as 2h, 24h or 7d"));
        if (ttl.isNegative() || ttl.isZero() || ttl.toSeconds() < 1) {
            throw ApiProblem.badRequest("ttl must be at least 1s");
        }
        if (ttl.compareTo(config.maxTtl()) > 0) {
            throw ApiProblem.badRequest("ttl is at most " + Durations.format(config.maxTtl()) + " (broker.access.max-ttl)");
        }
        return ttl;
    }

    private static void refusePattern(String field, String value) {
        if (value != null && (value.contains("*") || value.contains("?"))) {
            throw ApiProblem.badRequest(field + " " + quote(value) + " is a pattern (* or ?); ask for the exact "
                    + (field.equals("resource") ? "resource" : "branch") + " needed, a grant is never broader than the request");
        }
    }

    private static String resource(String text) {
        if (text == null) return null;
        String r = text.strip();
        if (r.isEmpty() || r.length() > MAX_RESOURCE || r.chars().anyMatch(Character::isISOControl)) {
            throw ApiProblem.badRequest("resource must be 1 to " + MAX_RESOURCE + " characters without control characters");
        }
        return r;
    }

    private static Map<String, String> context(Map<String, Object> raw) {
        Map<String, String> context = new LinkedHashMap<>();
        if (raw == null) return context;
        if (raw.size() > MAX_CONTEXT) {
            throw ApiProblem.badRequest("context has at most " + MAX_CONTEXT + " entries");
        }
        raw.forEach((k, v) -> {
            if (k.length() > 64 || !(v instanceof String s) || s.length() > 1024 || s.chars().anyMatch(Character::isISOControl)) {
                throw ApiProblem.badRequest("context." + k + " must be a string of at most 1024 characters");
            }
            context.put(k, (String) v);
        });
        return context;
    }

    // ---- audit -----------------------------------------------------------------------------------------

    static String describe(List<String> actions, String resource) {
        return String.join(", ", actions) + (resource == null ? " (any resource)" : " on " + resource);
    }

    private void line(AccessRequestRecord r, String event, String decision, String reason, String approvedBy,
                      String grantId, Instant expires, Instant now) {
        audit.record(new AccessAuditEntry(now, event, r.agent, r.project, String.join(",", r.actions), r.resource,
                decision, reason, null, grantId, approvedBy, expires,
                policies.project(r.project).map(ProjectPolicy::versionHash).orElse(null), r.id));
    }

    private static String quote(String s) {
        return "\"" + s + "\"";
    }
}
