package io.mppbroker.settlement;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

@ConfigMapping(prefix = "broker.settlement")
public interface SettlementConfig {

    /** How often the job looks for tokens that may still move money ("off" disables it on this node). */
    @WithDefault("60s")
    String interval();

    /**
     * A payment still processing or approved this long after its last change, with a token minted, is taken as
     * abandoned (the broker stopped mid-payment). Far longer than the seller read timeout.
     */
    @WithDefault("10m")
    Duration staleAfter();

    /** Payments claimed per run and node. */
    @WithDefault("25")
    int batchSize();

    /** How long a node's claim on a payment lasts; another node may take it over afterwards. */
    @WithDefault("5m")
    Duration claim();

    /** Longest wait between retries when Stripe cannot answer (the wait doubles from the first retry up to this). */
    @WithDefault("1h")
    Duration maxBackoff();
}
