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
}
