package io.mppbroker.policy;

/** What happens when the last route's timeout passes without enough approvals ({@code routing.on_final_timeout}). */
public enum FinalTimeout {
    /** Fail closed: the payment is denied. The default. */
    DENY,
    /** The question stays open with every approver of every route, without further escalation. */
    KEEP_WAITING
}
