package io.mppbroker.policy;

import java.util.Locale;

/**
 * How the broker applies a project's policy. {@code ENFORCE} (the default) pays, parks or refuses as the policy
 * says. {@code OBSERVE} is for rolling the broker out: payments are never blocked by the policy, the broker
 * records the verdict it would have given next to the payment (decision basis {@code autonomous}).
 */
public enum PolicyMode {
    ENFORCE,
    OBSERVE;

    /** As written in policy files: {@code enforce}, {@code observe}. */
    public String text() {
        return name().toLowerCase(Locale.ROOT);
    }
}
