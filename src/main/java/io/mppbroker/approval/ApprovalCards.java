package io.mppbroker.approval;

import io.mppbroker.access.AccessRequestRecord;
import io.mppbroker.access.GrantProposal;
import io.mppbroker.access.IssuedGrant;
import io.mppbroker.api.Durations;
import io.mppbroker.ledger.BudgetLedger;
import io.mppbroker.ledger.Money;
import io.mppbroker.ledger.Spend;
import io.mppbroker.payment.Payment;
import io.mppbroker.policy.Overlays;
import io.mppbroker.policy.PolicyRegistry;
import io.mppbroker.policy.ProjectPolicy;
import io.mppbroker.revision.Revisions;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** Builds the card humans decide on: the payment, the budget before and after it, and what looks unusual. */
@ApplicationScoped
public class ApprovalCards {

    private final PolicyRegistry policies;
    private final BudgetLedger ledger;
    private final Revisions revisions;
    private final EntityManager em;

    public ApprovalCards(PolicyRegistry policies, BudgetLedger ledger, Revisions revisions, EntityManager em) {
        this.policies = policies;
        this.ledger = ledger;
        this.revisions = revisions;
        this.em = em;
    }

    public ApprovalCard build(String approvalId) {
        return QuarkusTransaction.requiringNew().call(() -> {
            Approval a = Approval.findById(approvalId);
            if (a.isAboutAccess()) {
                return accessCard(a);
            }
            Payment p = Payment.findById(a.paymentId);
            Instant now = Instant.now();
            Optional<ProjectPolicy> policy = policies.project(a.project);
            List<ApprovalCard.BudgetLine> budgets = policy.map(pol -> budgetLines(pol, p, now)).orElse(List.of());
            List<String> approved = ApprovalVote.forApproval(a.id).stream()
                    .filter(v -> v.verdict.equals("APPROVE")).map(v -> v.approver).toList();
            return new ApprovalCard(a.id, p.id, a.project, p.agent, p.task, p.purpose, p.requestUrl, p.sellerHost, p.realm,
                    money(p.amount, p.currency), p.currency, a.tier.toLowerCase(Locale.ROOT), a.reason, a.requiredApprovals,
                    approved, budgets, riskFlags(a, p, now), a.status.name().toLowerCase(Locale.ROOT), a.decidedBy,
                    a.decidedVia, a.decidedAt == null ? null : a.decidedAt.toString(), a.note, a.routeIndex,
                    a.createdAt.toString(), a.escalateAt == null ? null : a.escalateAt.toString());
        });
    }

    private ApprovalCard accessCard(Approval a) {
        AccessRequestRecord r = AccessRequestRecord.findById(a.accessRequestId);
        IssuedGrant g = r.grantId == null ? null : IssuedGrant.findById(r.grantId);
        GrantProposal p = r.proposal;
        String granted = g == null || (g.actions.equals(p.actions()) && g.expiresAt.equals(g.createdAt.plus(p.ttl()))) ? null
                : g.actions.stream().map(x -> g.service + ":" + x).toList() + " for "
                + Durations.format(Duration.between(g.createdAt, g.expiresAt));
        List<String> approved = ApprovalVote.forApproval(a.id).stream()
                .filter(v -> v.verdict.equals("APPROVE")).map(v -> v.approver).toList();
        ApprovalCard.AccessCard access = new ApprovalCard.AccessCard(r.id, r.actions, r.resource, p.branches(),
                Durations.format(p.ttl()), r.justification, r.diff, g == null ? null : g.id,
                g == null ? null : g.expiresAt.toString(), granted);
        return new ApprovalCard(a.id, null, a.project, r.agent, null, r.justification, null, null, null, null, null,
                "access", a.reason, a.requiredApprovals, approved, List.of(), List.of(),
                a.status.name().toLowerCase(Locale.ROOT), a.decidedBy, a.decidedVia,
                a.decidedAt == null ? null : a.decidedAt.toString(), a.note, a.routeIndex, a.createdAt.toString(),
                a.escalateAt == null ? null : a.escalateAt.toString(), access);
    }

    private List<ApprovalCard.BudgetLine> budgetLines(ProjectPolicy policy, Payment p, Instant now) {
        Spend spent = ledger.spent(p.project, p.task, now);
        Overlays overlays = revisions.forPayment(p.project, p.task, p.sellerHost, now);
        BigDecimal amount = p.amount == null ? BigDecimal.ZERO : p.amount;
        List<ApprovalCard.BudgetLine> lines = new ArrayList<>();
        Optional<BigDecimal> task = overlays.taskBudget().or(() -> policy.budgets().perTask());
        task.ifPresent(limit -> lines.add(line("task " + p.task, limit, spent.task(), amount, p.currency)));
        policy.budgets().perDay().ifPresent(limit -> lines.add(line("day", limit, spent.day(), amount, p.currency)));
        policy.budgets().perMonth().ifPresent(limit -> lines.add(line("month", limit, spent.month(), amount, p.currency)));
        return lines;
    }

    private static ApprovalCard.BudgetLine line(String window, BigDecimal limit, BigDecimal used, BigDecimal amount,
                                                String currency) {
        return new ApprovalCard.BudgetLine(window, money(limit, currency), money(used, currency),
                money(limit.subtract(used).subtract(amount), currency));
    }

    /** First payment to this seller, price drift against the last one, velocity in the last hour, recurrence. */
    private List<String> riskFlags(Approval a, Payment p, Instant now) {
        List<String> flags = new ArrayList<>();
        Object[] last = (Object[]) em.createNativeQuery("""
                        SELECT coalesce(max(amount) FILTER (WHERE rn = 1), -1), count(*)
                          FROM (SELECT amount, row_number() OVER (ORDER BY created_at DESC) rn
                                  FROM budget_reservation
                                 WHERE project = :project AND seller_host = :host AND state = 'CAPTURED'
                                   AND payment_id <> :payment) paid""")
                .setParameter("project", p.project).setParameter("host", p.sellerHost).setParameter("payment", p.id)
                .getSingleResult();
        BigDecimal lastAmount = (BigDecimal) last[0];
        if (((Number) last[1]).longValue() == 0) {
            flags.add("first payment to " + p.sellerHost);
        } else if (p.amount != null && lastAmount.signum() > 0 && lastAmount.compareTo(p.amount) != 0) {
            BigDecimal drift = p.amount.subtract(lastAmount).multiply(BigDecimal.valueOf(100))
                    .divide(lastAmount, 0, RoundingMode.HALF_UP);
            flags.add("price drift: last paid " + money(lastAmount, p.currency) + ", now " + money(p.amount, p.currency)
                    + " (" + (drift.signum() > 0 ? "+" : "") + drift + "%)");
        }
        Object[] velocity = (Object[]) em.createNativeQuery("""
                        SELECT count(*), coalesce(sum(amount), 0) FROM budget_reservation
                         WHERE project = :project AND state <> 'RELEASED' AND created_at >= :since""")
                .setParameter("project", p.project).setParameter("since", now.minus(Duration.ofHours(1)))
                .getSingleResult();
        long count = ((Number) velocity[0]).longValue();
        if (count > 0) {
            flags.add("velocity: " + count + " payment" + (count == 1 ? "" : "s") + " totalling "
                    + money((BigDecimal) velocity[1], p.currency) + " " + p.currency + " in the last hour");
        }
        if ("RECURRING".equals(a.tier)) {
            flags.add("recurring: " + a.reason);
        }
        return flags;
    }

    private static String money(BigDecimal amount, String currency) {
        return Money.format(amount, currency);
    }
}
