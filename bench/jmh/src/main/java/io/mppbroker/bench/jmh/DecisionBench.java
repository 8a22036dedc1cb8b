package io.mppbroker.bench.jmh;

import io.mppbroker.policy.AgentIdentity;
import io.mppbroker.policy.Overlays;
import io.mppbroker.policy.PaymentPolicy;
import io.mppbroker.policy.ProjectPolicy;
import io.mppbroker.policy.Verdict;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The policy decision as the broker makes it in memory for each payment: the agent's bearer token is looked
 * up among every agent of every project ({@code PolicyRegistry.agentByToken}), the project's policy is
 * fetched ({@code PolicyRegistry.project}) and {@code PaymentPolicy.evaluate} decides the tier and writes the
 * reason. What was spent (the ledger's SQL) is an input here; the database part is measured end to end.
 * One thread: figures are per core.
 */
@State(Scope.Thread)
@Fork(value = 3, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 10, time = 1)
@Threads(1)
public class DecisionBench {

    private PolicySet set;
    private PolicySet.Request[] requests;
    private int next;

    @Setup(Level.Trial)
    public void load() {
        set = PolicySet.create();
        requests = set.requests.toArray(PolicySet.Request[]::new);
    }

    private PolicySet.Request nextRequest() {
        PolicySet.Request r = requests[next];
        next = (next + 1) & (PolicySet.SAMPLES - 1);
        return r;
    }

    /** Token lookup + policy lookup + evaluation: the whole in-memory decision. */
    @Benchmark
    @BenchmarkMode({Mode.Throughput})
    @OutputTimeUnit(TimeUnit.SECONDS)
    public Verdict decide() {
        return decideOne(nextRequest());
    }

    /** The same, sampled one call at a time for the latency distribution (p50, p99, p99.9). */
    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public Verdict decideLatency() {
        return decideOne(nextRequest());
    }

    private Verdict decideOne(PolicySet.Request r) {
        AgentIdentity agent = set.registry.agentByToken(r.token()).orElseThrow();
        ProjectPolicy policy = set.registry.project(agent.project()).orElseThrow();
        return PaymentPolicy.evaluate(policy, r.facts(), Overlays.NONE);
    }

    /** Only the bearer token lookup among all agents. */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public AgentIdentity agentByToken() {
        return set.registry.agentByToken(nextRequest().token()).orElseThrow();
    }

    /** Only {@code PaymentPolicy.evaluate} with the project's policy at hand. */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public Verdict evaluate() {
        PolicySet.Request r = nextRequest();
        return PaymentPolicy.evaluate(set.registry.project(r.project()).orElseThrow(), r.facts(), Overlays.NONE);
    }
}
