package io.mppbroker.policy;

import java.math.BigDecimal;
import java.util.Optional;

/** Spending limits in major units of the project currency; empty means no limit of that kind. */
public record Budgets(Optional<BigDecimal> perTask, Optional<BigDecimal> perDay, Optional<BigDecimal> perMonth) {
    public static final Budgets NONE = new Budgets(Optional.empty(), Optional.empty(), Optional.empty());
}
