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
    /** Refused by policy or by a human. */
    DENIED,
    /** Not paid: the seller or Stripe refused before money moved. */
    FAILED,
    /** The credential was sent but no answer came back: money may have moved; reconcile, never re-pay. */
    CHARGED_NOT_DELIVERED,
    /** The seller answered without asking for payment. */
    NOT_REQUIRED,
    /** The agent withdrew the request before it was decided. */
    WITHDRAWN;

    public boolean isFinal() {
        return this != PROCESSING && this != PENDING_APPROVAL && this != APPROVED;
    }

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }
}
