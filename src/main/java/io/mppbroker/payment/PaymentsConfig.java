package io.mppbroker.payment;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

@ConfigMapping(prefix = "broker.payments")
public interface PaymentsConfig {

    /** Longest a GET ?wait= (or a replayed in-flight request) is held open; agent tool calls time out near 60 s. */
    @WithDefault("55s")
    Duration maxWait();

    /** How long POST /v1/payments holds a payment that needs a human when the agent sends no Prefer: wait. */
    @WithDefault("0s")
    Duration defaultWait();

    /**
     * SPT drop-in: how long a retried mint (same agent, amount, currency and seller profile, no Idempotency-Key)
     * continues the earlier one a human has in hand (pending, approved or denied) instead of asking again.
     */
    @WithDefault("1h")
    Duration mintRetryWindow();

    /** SPT drop-in: how long a mint that needs a human is held open before the agent is told to retry (capped at 55 s). */
    @WithDefault("55s")
    Duration mintHold();

    /** SPT drop-in: the longest a minted token lives; an mppx client asks for the challenge's expiry (5 min by default). */
    @WithDefault("1h")
    Duration mintMaxLifetime();
}
