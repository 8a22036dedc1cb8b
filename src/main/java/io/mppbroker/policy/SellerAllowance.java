package io.mppbroker.policy;

import java.math.BigDecimal;
import java.util.Objects;

/**
 * An approver's standing permission, stored by the broker: payments to {@code sellerHost} of at most
 * {@code maxAmount} (major units of the project currency) need no human while the allowance is active.
 * It lifts ASK, EXPLICIT and RECURRING to AUTO, never DENY or OVER_BUDGET.
 */
public record SellerAllowance(String id, String sellerHost, BigDecimal maxAmount, String grantedBy) {
    public SellerAllowance {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(sellerHost, "sellerHost");
        Objects.requireNonNull(maxAmount, "maxAmount");
        Objects.requireNonNull(grantedBy, "grantedBy");
        if (maxAmount.signum() < 0) throw new IllegalArgumentException("maxAmount must not be negative: " + maxAmount);
    }

    /** Same host as the payment's, compared like seller patterns: case-insensitive, without port or trailing dot. */
    public boolean covers(String paymentSellerHost, BigDecimal amount) {
        return SellerPattern.normalizeHost(sellerHost).equals(SellerPattern.normalizeHost(paymentSellerHost))
                && maxAmount.compareTo(amount) >= 0;
    }
}
