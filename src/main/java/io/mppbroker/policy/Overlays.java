package io.mppbroker.policy;

import java.math.BigDecimal;
import java.util.List;
import java.util.Optional;

/**
 * Revisions approvers made on top of the policy file, as the broker passes them to
 * {@link PaymentPolicy#evaluate(ProjectPolicy, PaymentFacts, Overlays)}: only those active now and
 * applying to this payment's project and task. {@code taskBudget} replaces {@code budgets.per_task} for
 * the task; {@code taskBudgetRevisedBy} (the approver who set it) is named in reasons.
 */
public record Overlays(Optional<BigDecimal> taskBudget, List<SellerAllowance> sellerAllowances,
                       Optional<String> taskBudgetRevisedBy) {
    public static final Overlays NONE = new Overlays(Optional.empty(), List.of(), Optional.empty());

    public Overlays {
        taskBudget = taskBudget == null ? Optional.empty() : taskBudget;
        taskBudget.ifPresent(b -> {
            if (b.signum() < 0) throw new IllegalArgumentException("taskBudget must not be negative: " + b);
        });
        sellerAllowances = List.copyOf(sellerAllowances);
        taskBudgetRevisedBy = taskBudgetRevisedBy == null ? Optional.empty() : taskBudgetRevisedBy;
    }

    public Overlays(Optional<BigDecimal> taskBudget, List<SellerAllowance> sellerAllowances) {
        this(taskBudget, sellerAllowances, Optional.empty());
    }

    public boolean isEmpty() {
        return taskBudget.isEmpty() && sellerAllowances.isEmpty();
    }
}
