package io.mppbroker.policy;

import java.util.Set;

/**
 * What {@code mode: observe} does with a verdict. The policy is still evaluated in full, but its verdict only
 * becomes the payment's decision when the broker could not pay correctly anyway: a method other than stripe,
 * an intent other than charge, a malformed amount, or a currency other than the project's (the ledger counts
 * one currency per project). Every other verdict, including DENY by the ceiling or a seller rule, is recorded
 * as what the broker would have done, and the payment is paid as if it were automatic.
 */
public final class ObserveMode {
    /** Decision basis of a payment paid in observe mode: neither the policy nor a human authorized it. */
    public static final String BASIS = "autonomous";
    /** Rule of such a decision: the policy's {@code mode} key. */
    public static final String RULE = "mode";

    private static final Set<String> ALWAYS_ENFORCED = Set.of("method", "intent", "amount", "currency");

    private ObserveMode() {}

    /** True when observe mode pays although the policy said {@code wouldBe}; false for the always-enforced rules. */
    public static boolean overrides(Verdict wouldBe) {
        return !ALWAYS_ENFORCED.contains(wouldBe.rule());
    }

    /** The verdict observe mode gives instead: AUTO, naming what the policy would have decided and why. */
    public static Verdict allow(Verdict wouldBe) {
        return new Verdict(Tier.AUTO, RULE, "observe mode: would have been " + wouldBe.tier().name() + " ("
                + wouldBe.rule() + ": " + wouldBe.reason() + ")");
    }
}
