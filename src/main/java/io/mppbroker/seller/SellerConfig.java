package io.mppbroker.seller;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

@ConfigMapping(prefix = "broker.sellers")
public interface SellerConfig {

    /**
     * Hosts that may be reached over plain http and may resolve to private or loopback addresses
     * (for local sellers and tests). Empty in production.
     */
    Optional<List<String>> insecureHosts();

    @WithDefault("5s")
    Duration connectTimeout();

    /** How long to wait for the seller's answer; a paid request that times out is charged_not_delivered. */
    @WithDefault("30s")
    Duration readTimeout();

    /** Largest seller response body kept and returned to the agent. */
    @WithDefault("5242880")
    int maxResponseBytes();
}
