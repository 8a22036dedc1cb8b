package io.mppbroker.dashboard;

import io.mppbroker.access.AccessRequestService;
import io.mppbroker.access.AccessRequestView;
import io.mppbroker.api.ApiProblem;
import io.mppbroker.approval.Approval;
import io.mppbroker.approval.ApprovalCards;
import io.mppbroker.approval.ApprovalVote;
import io.mppbroker.ledger.Money;
import io.mppbroker.payment.Payment;
import io.mppbroker.policy.ApproverIdentity;
import io.mppbroker.policy.PolicyRegistry;
import io.mppbroker.policy.ProjectPolicy;
import io.mppbroker.policy.Route;
import io.mppbroker.policy.TierRouting;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.panache.common.Sort;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/** Reads an approver's board and says what they may do with a pending approval from the dashboard. */
@ApplicationScoped
public class BoardService {

    /** A board lists at most this many waiting approvals; the oldest come first. */
    static final int MAX_PENDING = 100;

    private final ApprovalCards cards;
    private final PolicyRegistry policies;
    private final DashboardConfig config;
    private final AccessRequestService accessRequests;

    public BoardService(ApprovalCards cards, PolicyRegistry policies, DashboardConfig config,
                        AccessRequestService accessRequests) {
        this.cards = cards;
        this.policies = policies;
        this.config = config;
        this.accessRequests = accessRequests;
    }

    public Board board(ApproverIdentity me) {
        List<Approval> pending = QuarkusTransaction.requiringNew().call(() -> Approval.<Approval>find(
                        "project in ?1 and status = ?2", Sort.ascending("createdAt"), me.projects(), Approval.Status.PENDING)
                .page(0, MAX_PENDING).list());
        List<Approval> recent = QuarkusTransaction.requiringNew().call(() -> Approval.<Approval>find(
                        "project in ?1 and status <> ?2 and decidedAt is not null",
                        Sort.descending("decidedAt").and("id"), me.projects(), Approval.Status.PENDING)
                .page(0, config.recentDecisions()).list());

        List<Board.PendingCard> waiting = new ArrayList<>();
        for (Approval a : pending) {
            waiting.add(pendingCard(a, me));
        }
        // Questions this approver can answer first, oldest first within each group.
        waiting.sort(Comparator.comparing((Board.PendingCard c) -> !c.mayAnswer()));

        List<Approval> rows = new ArrayList<>(pending);
        rows.addAll(recent);
        List<String> paymentIds = rows.stream().map(a -> a.paymentId).filter(java.util.Objects::nonNull).distinct().toList();
        Map<String, Payment> payments = paymentIds.isEmpty() ? Map.of() : QuarkusTransaction.requiringNew().call(() ->
                Payment.<Payment>list("id in ?1", paymentIds).stream().collect(Collectors.toMap(p -> p.id, Function.identity())));
        Map<String, Board.RequestRow> requests = new LinkedHashMap<>();
        for (Approval a : rows) {
            Payment p = a.paymentId == null ? null : payments.get(a.paymentId);
            if (p != null) {
                requests.putIfAbsent(a.id, row(a, p));
            } else if (a.isAboutAccess()) {
                requests.computeIfAbsent(a.id, id -> row(a, accessRequests.viewOfApproval(a)));
            }
        }
        return new Board(me.approverId(), List.copyOf(me.projects()), waiting, List.copyOf(requests.values()));
    }

    Board.PendingCard pendingCard(Approval a, ApproverIdentity me) {
        Blocker b = QuarkusTransaction.requiringNew().call(() -> blocker(a, me.approverId()));
        return new Board.PendingCard(cards.build(a.id), b.reason() == null, b.reason() == null && b.mayApprove(),
                b.reason(), b.hint());
    }

    /**
     * Refuses an answer from the dashboard to an approval whose routes so far all have {@code dashboard: false}:
     * the policy wants it answered in Slack or Telegram. Everything else is checked by ApprovalService, the same
     * for every channel. A 404 for approvals of other projects: their existence is none of this approver's business.
     */
    public Approval checkAnswerable(String approvalId, ApproverIdentity me) {
        return QuarkusTransaction.requiringNew().call(() -> {
            Approval a = Approval.findById(approvalId);
            if (a == null || !me.mayApprove(a.project)) {
                throw ApiProblem.notFound("no approval " + approvalId);
            }
            if (a.isPending()) {
                Optional<TierRouting> routing = routing(a);
                if (routing.isPresent() && routing.get().approversUpTo(a.routeIndex).contains(me.approverId())
                        && !onDashboard(routing.get(), a.routeIndex, me.approverId())) {
                    throw ApiProblem.forbidden("not-on-dashboard", "approval " + approvalId
                            + " is routed to Slack or Telegram only (dashboard: false); answer it there");
                }
            }
            return a;
        });
    }

    private record Blocker(String reason, boolean mayApprove, String hint) {}

    private Blocker blocker(Approval a, String me) {
        Optional<ProjectPolicy> policy = policies.project(a.project);
        Optional<TierRouting> routing = routing(a);
        if (policy.isEmpty() || routing.isEmpty()) {
            return new Blocker("project " + a.project + " has no valid policy loaded", false, null);
        }
        if (!routing.get().approversUpTo(a.routeIndex).contains(me)) {
            return new Blocker("you are not among the approvers asked so far", false, null);
        }
        if (!onDashboard(routing.get(), a.routeIndex, me)) {
            return new Blocker("the policy routes this question to Slack or Telegram only", false, null);
        }
        ApprovalVote vote = ApprovalVote.findById(new ApprovalVote.Key(a.id, me));
        if (vote != null) {
            return new Blocker("you already answered (" + vote.verdict.toLowerCase(Locale.ROOT) + " via " + vote.via
                    + "); waiting for other approvers", false, null);
        }
        boolean owner = policy.get().routing().ownerCannotApprove()
                && policy.get().agentOwner(a.agent).filter(me::equals).isPresent();
        return new Blocker(null, !owner, owner ? "you own agent " + a.agent + ": you may deny, not approve" : null);
    }

    private Optional<TierRouting> routing(Approval a) {
        return policies.project(a.project).map(p -> p.routing().forApproval(a.tier));
    }

    /** Whether any route asked so far that lists this approver shows the question on the dashboard. */
    private static boolean onDashboard(TierRouting routing, int routeIndex, String approverId) {
        List<Route> routes = routing.routes();
        for (int i = 0; i <= Math.min(routeIndex, routes.size() - 1); i++) {
            Route r = routes.get(i);
            if (r.dashboard() && r.approvers().contains(approverId)) {
                return true;
            }
        }
        return false;
    }

    private static Board.RequestRow row(Approval a, Payment p) {
        return new Board.RequestRow(a.id, p.id, a.project, p.agent, p.task, p.purpose, Money.format(p.amount, p.currency),
                p.currency, p.sellerHost, a.tier.toLowerCase(Locale.ROOT), a.status.name().toLowerCase(Locale.ROOT),
                p.status.wire(), a.decidedBy, a.decidedVia, a.decidedAt == null ? null : a.decidedAt.toString(), a.note,
                a.createdAt.toString(), null);
    }

    private static Board.RequestRow row(Approval a, AccessRequestView r) {
        return new Board.RequestRow(a.id, null, a.project, a.agent, null, r.justification(), null, null, null,
                a.tier.toLowerCase(Locale.ROOT), a.status.name().toLowerCase(Locale.ROOT), null, a.decidedBy,
                a.decidedVia, a.decidedAt == null ? null : a.decidedAt.toString(), a.note, a.createdAt.toString(), r);
    }
}
