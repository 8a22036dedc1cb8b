package io.mppbroker.payment;

import java.util.Locale;

public enum PaymentStatus {
    /** Fetching, deciding or paying right now. */
    PROCESSING,
    /** Parked for a human. */
    PENDING_APPROVAL,
    /** A human approved; the broker is fetching a fresh challenge and paying. */
    APPROVED,
    PAID,
    /**
     * SPT drop-in: the broker minted a token for the agent, which pays the seller with it. A receipt reported by the
     * agent, or Stripe showing the token charged (settlement), makes it {@link #PAID}; a token that expires unspent
     * makes it {@link #FAILED} and gives the budget back. Not final: the money state is still open.
     */
    MINTED,
    /** Refused by policy or by a human. */
    DENIED,
    /** Not paid: the seller or Stripe refused before money moved. */
    FAILED,
    /** The credential was sent but no answer came back: money may have moved; reconcile, never re-pay. */
    CHARGED_NOT_DELIVERED,
    /**
     * Settled from Stripe: the token of a payment that got no usable answer (or a refusal) was charged. The money
     * moved and the seller did not deliver; the broker never pays again, a human takes it up with the seller.
     */
    PAID_UNDELIVERED,
    /** The seller answered without asking for payment. */
    NOT_REQUIRED,
    /** The agent withdrew the request before it was decided. */
    WITHDRAWN;

    public boolean isFinal() {
        return this != PROCESSING && this != PENDING_APPROVAL && this != APPROVED && this != MINTED;
    }

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }
}
