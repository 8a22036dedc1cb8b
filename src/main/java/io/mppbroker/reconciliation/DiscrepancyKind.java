package io.mppbroker.reconciliation;

import java.util.Locale;

/** What reconciliation can find wrong. See docs/reconciliation.md for each. */
public enum DiscrepancyKind {
    /** Money moved for a payment no allowing decision of its own covers (none, another payment's, or a refusal). */
    CHARGE_WITHOUT_DECISION,
    /** One decision authorized more than one charge. */
    DECISION_PAID_TWICE,
    /** Challenge, decision, approval cap, budget reservation, receipt and Stripe's captured amount disagree. */
    AMOUNT_MISMATCH,
    /** A token was minted and no receipt came back, and it is not known to be unspent and dead. */
    SPT_WITHOUT_RECEIPT,
    /** A receipt is recorded for a payment that never minted a token. */
    RECEIPT_WITHOUT_SPT,
    /** The external export has a charge that no broker payment authorized. */
    EXTERNAL_CHARGE_NOT_AUTHORIZED,
    /** A broker charge within the export's dates is not in the export. */
    CHARGE_MISSING_FROM_EXPORT,
    /** The export and the broker disagree on a matched charge's amount or currency. */
    EXTERNAL_AMOUNT_MISMATCH;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }
}
