package io.mppbroker.policy;

import java.math.BigDecimal;
import java.util.Locale;
import java.util.Optional;

/**
 * Decides the tier of one payment under a project policy. Pure: no I/O, no clock; everything it needs is
 * in {@link PaymentFacts}. Checks run in this order and the first that applies decides:
 * method, intent, currency, amount sanity, sellers.deny, sellers.default, tiers.ceiling (DENY);
 * budgets.per_task, per_day, per_month (OVER_BUDGET); tiers.explicit_above (EXPLICIT); recurring
 * (RECURRING); tiers.auto_below (ASK when not below, else AUTO).
 *
 * <p>{@link Overlays} are approvers' revisions on top of the file: a revised task budget replaces
 * budgets.per_task (rule {@value #REVISED_TASK_BUDGET}); a seller allowance covering the payment turns
 * an ASK, EXPLICIT or RECURRING verdict into AUTO (rule {@code grant:<id>}). Overlays never lift DENY
 * or OVER_BUDGET.
 */
public final class PaymentPolicy {
    public static final String METHOD = "stripe";
    public static final String INTENT = "charge";
    /** Rule of an OVER_BUDGET verdict against a task budget revised by an approver. */
    public static final String REVISED_TASK_BUDGET = "revised:budgets.per_task";
    /** Rule prefix of an AUTO verdict granted by a seller allowance: {@code grant:<allowance id>}. */
    public static final String GRANT_PREFIX = "grant:";

    private PaymentPolicy() {}

    /** The file alone, without overlays. */
    public static Verdict evaluate(ProjectPolicy p, PaymentFacts f) {
        return evaluate(p, f, Overlays.NONE);
    }

    public static Verdict evaluate(ProjectPolicy p, PaymentFacts f, Overlays o) {
        if (o == null) o = Overlays.NONE;
        if (!METHOD.equals(f.method())) {
            return deny("method", "payment method \"" + f.method() + "\" is not supported: the broker pays only with stripe");
        }
        if (!INTENT.equals(f.intent())) {
            return deny("intent", "intent \"" + f.intent() + "\" is not supported: the broker pays only one-off charges (intent charge)");
        }
        String currency = f.currency().toLowerCase(Locale.ROOT);
        if (!currency.equals(p.currency())) {
            return deny("currency", "payment currency " + currency + " does not match the project currency " + p.currency());
        }
        BigDecimal amount = f.amount();
        if (amount.signum() <= 0) {
            return deny("amount", "amount " + amount.toPlainString() + " " + currency + " is not positive");
        }
        if (amount.stripTrailingZeros().scale() > p.currencyDigits()) {
            return deny("amount", "amount " + amount.toPlainString() + " " + currency + " has more decimals than "
                    + currency + " allows (" + p.currencyDigits() + ")");
        }

        Optional<SellerPattern> denied = p.sellers().deniedBy(f.sellerHost(), f.realm(), f.networkProfile());
        if (denied.isPresent()) {
            SellerPattern d = denied.get();
            return deny("sellers.deny", "seller " + describeSeller(f, d.kind() == SellerPattern.Kind.REALM,
                    d.kind() == SellerPattern.Kind.NETWORK_PROFILE) + " is denied by sellers.deny \"" + d.text() + "\"");
        }
        if (p.sellers().defaultRule() == SellerRules.Default.DENY
                && p.sellers().allowedBy(f.sellerHost(), f.realm(), f.networkProfile()).isEmpty()) {
            return deny("sellers.default", "seller " + describeSeller(f, true, true)
                    + " matches no sellers.allow entry and sellers.default is deny");
        }

        Tiers t = p.tiers();
        String amountText = p.formatAmount(amount) + " " + currency;
        if (amount.compareTo(t.ceiling()) > 0) {
            return deny("tiers.ceiling", "amount " + amountText + " is above the ceiling " + p.formatAmount(t.ceiling()));
        }

        Optional<Verdict> overBudget = overBudget(p, f, o);
        if (overBudget.isPresent()) return overBudget.get();

        Verdict verdict = humanTier(p, f, amountText);
        if (verdict.tier() == Tier.AUTO) return verdict;
        for (SellerAllowance a : o.sellerAllowances()) {
            if (a.covers(f.sellerHost(), amount)) {
                return new Verdict(Tier.AUTO, GRANT_PREFIX + a.id(), "amount " + amountText + " to "
                        + SellerPattern.normalizeHost(f.sellerHost()) + " is within grant " + a.id() + " from "
                        + a.grantedBy() + " (up to " + p.formatAmount(a.maxAmount()) + " " + currency
                        + " for this seller); without it: " + verdict.tier().name().toLowerCase(Locale.ROOT)
                        + " (" + verdict.rule() + ")");
            }
        }
        return verdict;
    }

    /** Steps 11 to 14: what is left once nothing denies and no budget is exceeded. */
    private static Verdict humanTier(ProjectPolicy p, PaymentFacts f, String amountText) {
        Tiers t = p.tiers();
        BigDecimal amount = f.amount();
        if (amount.compareTo(t.explicitAbove()) > 0) {
            return new Verdict(Tier.EXPLICIT, "tiers.explicit_above", "amount " + amountText
                    + " is above explicit_above " + p.formatAmount(t.explicitAbove()) + ": needs explicit approval");
        }
        RecurringRule r = p.recurring();
        if (f.similarRecentPayments() >= r.earlierPaymentsToFlag()) {
            return new Verdict(Tier.RECURRING, "recurring", "seller " + SellerPattern.normalizeHost(f.sellerHost())
                    + " was already paid a similar amount (within ±" + r.tolerancePercent() + "%) "
                    + times(f.similarRecentPayments()) + " in the last " + r.windowText() + ": this would be payment "
                    + (f.similarRecentPayments() + 1) + " (recurring.min_occurrences " + r.minOccurrences() + ")");
        }
        if (amount.compareTo(t.autoBelow()) >= 0) {
            return new Verdict(Tier.ASK, "tiers.auto_below", "amount " + amountText + " is not below auto_below "
                    + p.formatAmount(t.autoBelow()) + ": one approver decides");
        }
        return new Verdict(Tier.AUTO, "tiers.auto_below", "amount " + amountText + " is below auto_below "
                + p.formatAmount(t.autoBelow()));
    }

    private static Optional<Verdict> overBudget(ProjectPolicy p, PaymentFacts f, Overlays o) {
        Budgets b = p.budgets();
        BigDecimal amount = f.amount();
        String now = p.formatAmount(amount);
        Optional<BigDecimal> perTask = o.taskBudget().isPresent() ? o.taskBudget() : b.perTask();
        if (perTask.isPresent()) {
            BigDecimal total = f.spentTask().add(amount);
            if (total.compareTo(perTask.get()) > 0) {
                String who = f.task() == null || f.task().isBlank() ? "a payment without a task" : "task " + f.task();
                boolean revised = o.taskBudget().isPresent();
                String revision = !revised ? "" : "revised by " + o.taskBudgetRevisedBy().orElse("an approver") + "; ";
                return Optional.of(new Verdict(Tier.OVER_BUDGET, revised ? REVISED_TASK_BUDGET : "budgets.per_task",
                        who + " would spend " + p.formatAmount(total) + " of " + p.formatAmount(perTask.get()) + " "
                        + p.currency() + " (" + revision + p.formatAmount(f.spentTask()) + " spent + " + now + " now)"));
            }
        }
        if (b.perDay().isPresent()) {
            BigDecimal total = f.spentDay().add(amount);
            if (total.compareTo(b.perDay().get()) > 0) {
                return Optional.of(new Verdict(Tier.OVER_BUDGET, "budgets.per_day", "project " + p.project()
                        + " would spend " + p.formatAmount(total) + " of " + p.formatAmount(b.perDay().get()) + " "
                        + p.currency() + " today (" + p.formatAmount(f.spentDay()) + " spent + " + now + " now)"));
            }
        }
        if (b.perMonth().isPresent()) {
            BigDecimal total = f.spentMonth().add(amount);
            if (total.compareTo(b.perMonth().get()) > 0) {
                return Optional.of(new Verdict(Tier.OVER_BUDGET, "budgets.per_month", "project " + p.project()
                        + " would spend " + p.formatAmount(total) + " of " + p.formatAmount(b.perMonth().get()) + " "
                        + p.currency() + " this month (" + p.formatAmount(f.spentMonth()) + " spent + " + now + " now)"));
            }
        }
        return Optional.empty();
    }

    /** The seller's host, plus its realm and network profile when they matter for the message. */
    private static String describeSeller(PaymentFacts f, boolean withRealm, boolean withProfile) {
        String host = SellerPattern.normalizeHost(f.sellerHost());
        StringBuilder s = new StringBuilder(host);
        if (withRealm && f.realm() != null && !f.realm().equals(host)) {
            s.append(" (realm \"").append(f.realm()).append("\")");
        }
        if (withProfile) f.networkProfile().ifPresent(id -> s.append(" (network profile ").append(id).append(')'));
        return s.toString();
    }

    private static String times(int n) {
        return n == 1 ? "once" : n + " times";
    }

    private static Verdict deny(String rule, String reason) {
        return new Verdict(Tier.DENY, rule, reason);
    }
}
