package io.mppbroker.settlement;

import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import org.jboss.logging.Logger;

/** Runs {@link Settlement} every {@code broker.settlement.interval} ("off" disables it on this node). */
@ApplicationScoped
public class SettlementJob {

    private static final Logger LOG = Logger.getLogger(SettlementJob.class);

    private final Settlement settlement;

    public SettlementJob(Settlement settlement) {
        this.settlement = settlement;
    }

    @Scheduled(identity = "settlement", every = "${broker.settlement.interval:60s}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void run() {
        List<Settlement.Outcome> outcomes = settlement.runOnce();
        outcomes.stream().filter(o -> o.result() != Settlement.Result.SKIPPED)
                .forEach(o -> LOG.infof("settlement: payment %s %s", o.paymentId(), o.result().name().toLowerCase()));
    }
}
