package io.mppbroker.backtest;

import io.mppbroker.policy.Overlays;
import io.mppbroker.policy.PaymentFacts;
import io.mppbroker.policy.PaymentPolicy;
import io.mppbroker.policy.Tier;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * The first automatic decision of one recorded payment, with what the broker knew then, rebuilt from the
 * database (see {@link BacktestHistory} for how spent-so-far is approximated). {@code tier} and {@code rule}
 * are the policy's verdict at the time: for a decision made in observe mode (basis {@code autonomous}) that is
 * the observed verdict, not the AUTO the payment went through with.
 */
public record RecordedDecision(
        String paymentId,
        String decisionId,
        Instant decidedAt,
        String basis,
        Tier tier,
        String rule,
        String task,
        String sellerHost,
        String realm,
        Optional<String> networkProfile,
        BigDecimal amount,
        String currency,
        BigDecimal spentTask,
        BigDecimal spentDay,
        BigDecimal spentMonth,
        int similarRecentPayments,
        Overlays overlays) {

    public RecordedDecision {
        Objects.requireNonNull(paymentId, "paymentId");
        Objects.requireNonNull(tier, "tier");
        Objects.requireNonNull(amount, "amount");
        Objects.requireNonNull(currency, "currency");
        networkProfile = networkProfile == null ? Optional.empty() : networkProfile;
        overlays = overlays == null ? Overlays.NONE : overlays;
    }

    /** The facts a candidate policy is evaluated with (only stripe/charge challenges ever reach a decision). */
    public PaymentFacts facts() {
        return new PaymentFacts(PaymentPolicy.METHOD, PaymentPolicy.INTENT, amount, currency,
                sellerHost == null ? "" : sellerHost, realm, networkProfile, task, spentTask, spentDay, spentMonth,
                similarRecentPayments);
    }
}
