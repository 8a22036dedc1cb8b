package io.mppbroker.access;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** Access requests: how long a grant lasts when the agent does not say, and at most. */
@ConfigMapping(prefix = "broker.access")
public interface AccessConfig {

    /** TTL of a grant when the request names none. */
    @WithDefault("24h")
    Duration defaultTtl();

    /** The longest TTL an agent may ask for; longer requests are refused (400). */
    @WithDefault("7d")
    Duration maxTtl();

    /** How often each node re-reads the issued grants (wake-ups make it sooner). */
    @WithDefault("2s")
    Duration grantRefresh();

    /** How often expired grants are looked for, to write their {@code grant.expired} audit line. */
    @WithDefault("1s")
    Duration expiryCheck();
}
