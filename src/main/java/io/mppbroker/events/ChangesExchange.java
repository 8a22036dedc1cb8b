package io.mppbroker.events;

import io.mppbroker.cluster.ClusterConfig;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;
import org.jboss.logging.Logger;

/**
 * Publishes wake-ups to the other nodes (channel {@code changes-out}, a RabbitMQ fanout exchange). A bean of
 * its own because the channel exists only with {@code broker.cluster.rabbitmq=true}: the emitter can be looked
 * up only then, so this bean is created on its first use, which {@link Changes} makes only in cluster mode.
 */
@ApplicationScoped
class ChangesExchange {

    private static final Logger LOG = Logger.getLogger(ChangesExchange.class);

    private final Emitter<String> out;
    private final ClusterConfig config;
    /**
     * Sends from a thread of its own: an emitter called on a request's Vert.x context hands that context to the
     * connector, which then runs its (lazy) connection work on a request that has already ended.
     */
    private final ExecutorService sender = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "changes-publisher");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean failing;

    ChangesExchange(// While RabbitMQ is unreachable nothing is buffered: the re-check covers what is dropped.
                    @Channel(Changes.CLUSTER_OUT) @OnOverflow(OnOverflow.Strategy.DROP) Emitter<String> out,
                    ClusterConfig config) {
        this.out = out;
        this.config = config;
    }

    void publish(String message) {
        try {
            sender.execute(() -> send(message));
        } catch (RejectedExecutionException shuttingDown) {
            // the node is stopping; the other nodes' re-check covers this last wake-up
        }
    }

    @PreDestroy
    void close() {
        sender.shutdown();
    }

    private void send(String message) {
        try {
            out.send(message).whenComplete((ok, failure) -> {
                if (failure != null) {
                    failed(failure);
                } else if (failing) {
                    failing = false;
                    LOG.info("wake-ups reach the other nodes again");
                }
            });
        } catch (RuntimeException e) {
            failed(e);
        }
    }

    private void failed(Throwable failure) {
        if (!failing) {
            failing = true;
            LOG.warnf("wake-ups do not reach the other nodes (%s); their holds re-read the database every %ss",
                    failure.getMessage(), config.recheck().toSeconds());
        }
    }
}
