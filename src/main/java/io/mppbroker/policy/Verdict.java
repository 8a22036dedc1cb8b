package io.mppbroker.policy;

import java.util.Objects;

/**
 * Result of {@link PaymentPolicy#evaluate}: the tier, the policy field that decided it (e.g.
 * {@code tiers.ceiling}) and a sentence with the numbers for humans and the audit log.
 */
public record Verdict(Tier tier, String rule, String reason) {
    public Verdict {
        Objects.requireNonNull(tier, "tier");
        Objects.requireNonNull(rule, "rule");
        Objects.requireNonNull(reason, "reason");
    }

    public boolean needsHuman() {
        return tier.needsHuman();
    }
}
