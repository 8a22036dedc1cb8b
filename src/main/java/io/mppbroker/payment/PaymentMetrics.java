package io.mppbroker.payment;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.mppbroker.approval.Approval;
import io.mppbroker.events.Changes;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.Locale;

/** Prometheus figures: payments by tier and outcome, decision latency, pending approvals. */
/** Registered at start so the gauges exist before the first payment. */
@Startup
@ApplicationScoped
public class PaymentMetrics {

    private final MeterRegistry registry;
    private final Timer decisionLatency;

    public PaymentMetrics(MeterRegistry registry, Changes updates) {
        this.registry = registry;
        this.decisionLatency = Timer.builder("broker.decision.latency")
                .description("Time from a seller's 402 to the broker's decision")
                .publishPercentileHistogram()
                .register(registry);
        // Strong references: Micrometer holds gauge state weakly by default, and a collected state object
        // silently turns the gauge into NaN.
        Gauge.builder("broker.approvals.pending", this, PaymentMetrics::pendingApprovals)
                .description("Approvals waiting for a human").strongReference(true).register(registry);
        Gauge.builder("broker.holds.active", updates, Changes::held)
                .description("Agent requests held open on this node").strongReference(true).register(registry);
    }

    public void outcome(String tier, PaymentStatus status) {
        Counter.builder("broker.payments")
                .description("Payments by decision tier and outcome")
                .tag("tier", tier == null ? "none" : tier.toLowerCase(Locale.ROOT))
                .tag("outcome", status.wire())
                .register(registry)
                .increment();
    }

    public void decided(Duration latency) {
        decisionLatency.record(latency);
    }

    private double pendingApprovals() {
        try {
            return QuarkusTransaction.requiringNew().call(() -> (double) Approval.count("status", Approval.Status.PENDING));
        } catch (RuntimeException e) {
            return Double.NaN; // the database is down; health checks report that
        }
    }
}
