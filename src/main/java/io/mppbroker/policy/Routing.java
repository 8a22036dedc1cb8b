package io.mppbroker.policy;

import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The {@code routing} section: who is asked about payments that need a human, where, and what happens when
 * nobody answers in time. {@code tiers} holds the tiers with their own entry (only ASK, EXPLICIT,
 * RECURRING, OVER_BUDGET); {@code fallback} is the {@code default} entry, or the built-in routing (every
 * approver of the file on the dashboard, 24h, one approval) when the file has none.
 */
public record Routing(boolean ownerCannotApprove, FinalTimeout onFinalTimeout, Map<Tier, TierRouting> tiers,
                      TierRouting fallback, TierRouting access) {

    /** {@code approval.tier} of an approval about an access request (not a payment tier). */
    public static final String ACCESS = "ACCESS";

    /** Routing without an {@code access} entry: access requests follow the {@code ask} tier. */
    public Routing(boolean ownerCannotApprove, FinalTimeout onFinalTimeout, Map<Tier, TierRouting> tiers,
                   TierRouting fallback) {
        this(ownerCannotApprove, onFinalTimeout, tiers, fallback, null);
    }

    public Routing {
        Objects.requireNonNull(onFinalTimeout, "onFinalTimeout");
        Objects.requireNonNull(fallback, "fallback");
        EnumMap<Tier, TierRouting> copy = new EnumMap<>(Tier.class);
        for (Map.Entry<Tier, TierRouting> e : tiers.entrySet()) {
            if (!e.getKey().needsHuman()) throw new IllegalArgumentException("tier " + e.getKey() + " asks nobody");
            copy.put(e.getKey(), Objects.requireNonNull(e.getValue(), "routing of " + e.getKey()));
        }
        tiers = Collections.unmodifiableMap(copy);
    }

    /** What a policy without a {@code routing} section uses. */
    public static Routing builtIn(List<String> approverIds) {
        return new Routing(true, FinalTimeout.DENY, Map.of(), TierRouting.builtIn(approverIds));
    }

    /**
     * The tier's own entry, else {@code default}, else the built-in routing. Tiers that ask nobody (AUTO,
     * DENY) get the fallback too; callers only route tiers where {@link Tier#needsHuman()}.
     */
    public TierRouting forTier(Tier tier) {
        return tiers.getOrDefault(tier, fallback);
    }

    /** Who decides access requests: {@code routing.access}, else the {@code ask} tier's routing. */
    public TierRouting forAccess() {
        return access != null ? access : forTier(Tier.ASK);
    }

    /** The routing of an approval by its stored tier: a payment tier's name or {@link #ACCESS}. */
    public TierRouting forApproval(String tier) {
        return ACCESS.equals(tier) ? forAccess() : forTier(Tier.valueOf(tier));
    }
}
