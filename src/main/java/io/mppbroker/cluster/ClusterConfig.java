package io.mppbroker.cluster;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** Several broker nodes sharing one database (docs/deployment.md). */
@ConfigMapping(prefix = "broker.cluster")
public interface ClusterConfig {

    /**
     * Fans wake-ups out to every node over a RabbitMQ exchange (the connector's {@code rabbitmq-host},
     * {@code rabbitmq-port}, {@code rabbitmq-username}, {@code rabbitmq-password}). Off: wake-ups stay in memory,
     * which is right for one node and wrong for several.
     */
    @WithDefault("false")
    boolean rabbitmq();

    /**
     * With RabbitMQ on, a held request re-reads the database at least this often, so a wake-up lost while
     * RabbitMQ restarts costs at most this much. One node on its own loses no wake-ups and does not re-check.
     */
    @WithDefault("2s")
    Duration recheck();
}
