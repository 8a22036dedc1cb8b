package io.mppbroker.ledger;

/** What a decision needs from the ledger: the spend per budget window and the similar recent payments. */
public record Spending(Spend spent, int similarRecentPayments) {}
