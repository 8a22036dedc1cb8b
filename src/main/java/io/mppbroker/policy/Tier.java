package io.mppbroker.policy;

/** Outcome class of a policy evaluation, from least to most scrutiny (DENY is final). */
public enum Tier {
    /** Below tiers.auto_below and nothing else applies: pay without asking. */
    AUTO,
    /** One approver decides. */
    ASK,
    /** Above tiers.explicit_above: an approver must approve explicitly. */
    EXPLICIT,
    /** Looks like a repeating payment to the same seller: a human decides. */
    RECURRING,
    /** Would exceed a task/day/month budget: a human decides. */
    OVER_BUDGET,
    /** Refused; no human can override it. */
    DENY;

    public boolean needsHuman() {
        return this == ASK || this == EXPLICIT || this == RECURRING || this == OVER_BUDGET;
    }
}
