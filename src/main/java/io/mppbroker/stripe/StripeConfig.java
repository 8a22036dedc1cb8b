package io.mppbroker.stripe;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

@ConfigMapping(prefix = "broker.stripe")
public interface StripeConfig {

    /** Stripe's API base URL; a local fake in tests. */
    @WithDefault("https://api.stripe.com")
    String apiBase();

    /** The broker's Stripe secret key. Agents never see it; it is never logged. */
    Optional<String> secretKey();

    /** Shared Payment Tokens are a preview API: the version header is pinned here. */
    @WithDefault("2026-07-29.preview")
    String version();

    @WithDefault("10s")
    Duration timeout();
}
