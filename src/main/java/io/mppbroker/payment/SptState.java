package io.mppbroker.payment;

/**
 * What the broker knows about a payment's Shared Payment Token. Only {@link #ACTIVE} tokens can still move money;
 * the settlement job follows them until Stripe says otherwise.
 */
public enum SptState {
    /** Minted and, as far as the broker knows, still spendable. */
    ACTIVE,
    /** Spent: the seller sent a receipt, or Stripe shows an amount captured. */
    USED,
    /** Revoked by the broker before anyone spent it. */
    REVOKED,
    /** Expired unused. */
    EXPIRED
}
