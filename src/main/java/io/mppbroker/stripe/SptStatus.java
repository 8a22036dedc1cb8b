package io.mppbroker.stripe;

import java.time.Instant;

/**
 * What Stripe says about a Shared Payment Token: how much was captured with it and whether it can still be used.
 * Holds no token id, so it can be logged.
 *
 * @param amountCapturedMinor {@code usage_details.amount_captured.value}, minor units
 * @param deactivatedReason   {@code deactivated_reason}: null while usable, else consumed, expired, resolved or revoked
 * @param expiresAt           {@code usage_limits.expires_at}, null if none
 */
public record SptStatus(long amountCapturedMinor, String currency, String deactivatedReason, Instant expiresAt) {

    /**
     * Money moved with this token. {@code consumed} counts even with no amount shown: when in doubt the payment is
     * treated as charged, which keeps its budget counted and never leads to paying again.
     */
    public boolean charged() {
        return amountCapturedMinor > 0 || "consumed".equals(deactivatedReason);
    }

    /** Still spendable: it must be revoked (or left to expire) before the payment can be called unpaid. */
    public boolean active() {
        return deactivatedReason == null;
    }

    public boolean expired() {
        return "expired".equals(deactivatedReason);
    }
}
