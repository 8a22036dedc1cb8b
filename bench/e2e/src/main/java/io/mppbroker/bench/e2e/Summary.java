package io.mppbroker.bench.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The figures table of docs/benchmarks.md, from one results directory of {@code bench/run-all.sh}: JMH's
 * {@code jmh.json} and the newest {@code payments-*.json} and {@code holds-*.json}, each beside its target.
 * {@code java -cp bench/e2e/target/e2e-bench.jar io.mppbroker.bench.e2e.Summary bench/results/<run>}
 */
public final class Summary {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Summary() {
    }

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args.length > 0 ? args[0] : ".");
        System.out.print(markdown(dir));
    }

    static String markdown(Path dir) throws IOException {
        StringBuilder s = new StringBuilder();
        s.append("| Figure | Measured | Target |\n|---|---|---|\n");
        jmh(dir, s);
        Optional<JsonNode> payments = newest(dir, "payments-");
        payments.ifPresent(p -> payments(p, s));
        List<JsonNode> allHolds = all(dir, "holds-");
        Optional<JsonNode> holds = allHolds.stream().findFirst();
        for (JsonNode h : allHolds) {
            holds(h, s);
        }
        s.append("\nRun: ").append(dir.getFileName()).append("; machine: ")
                .append(payments.or(() -> holds).map(n -> n.path("machine").toString()).orElse("(no e2e results)"))
                .append("\n");
        payments.ifPresent(p -> s.append("PostgreSQL: ").append(p.path("postgres")).append("; load average (1 min) ")
                .append(p.path("load_average_1m")).append("\n"));
        return s.toString();
    }

    private static void jmh(Path dir, StringBuilder s) throws IOException {
        Path file = dir.resolve("jmh.json");
        if (!Files.exists(file)) {
            return;
        }
        Map<String, JsonNode> byName = new TreeMap<>();
        for (JsonNode b : JSON.readTree(file.toFile())) {
            String name = b.path("benchmark").asText().replaceFirst(".*\\.(\\w+\\.\\w+)$", "$1");
            JsonNode params = b.path("params");
            if (params.has("offers")) {
                name += " (" + params.path("offers").asText() + " offer" + (params.path("offers").asText().equals("one") ? ")" : "s)");
            }
            byName.put(name, b.path("primaryMetric"));
        }
        byName.forEach((name, m) -> {
            String unit = m.path("scoreUnit").asText();
            if (unit.equals("ops/s")) {
                String target = name.equals("DecisionBench.decide") ? "≥ 500,000/s per core" : "";
                s.append("| JMH ").append(name).append(", throughput on 1 core | ")
                        .append(String.format("%,.0f ± %,.0f ops/s", m.path("score").asDouble(), m.path("scoreError").asDouble()))
                        .append(" | ").append(target).append(" |\n");
            } else {
                JsonNode pct = m.path("scorePercentiles");
                String target = name.equals("DecisionBench.decideLatency") ? "p99 ≤ 10 µs" : "";
                s.append("| JMH ").append(name).append(", p50 / p99 / p99.9 | ")
                        .append(String.format("%.2f / %.2f / %.2f %s", pct.path("50.0").asDouble(), pct.path("99.0").asDouble(),
                                pct.path("99.9").asDouble(), unit.replace("/op", "").replace("us", "µs")))
                        .append(" | ").append(target).append(" |\n");
            }
        });
    }

    private static void payments(JsonNode p, StringBuilder s) {
        Map<Integer, JsonNode> broker = new TreeMap<>();
        Map<Integer, JsonNode> direct = new TreeMap<>();
        for (JsonNode phase : p.path("phases")) {
            (phase.path("mode").asText().equals("broker") ? broker : direct).put(phase.path("concurrency").asInt(), phase);
        }
        for (Map.Entry<Integer, JsonNode> e : broker.entrySet()) {
            JsonNode b = e.getValue();
            JsonNode d = direct.get(e.getKey());
            int c = e.getKey();
            s.append("| E2E c=").append(c).append(" broker: paid/s, p50 / p99 ms | ")
                    .append(String.format("%.0f/s, %.1f / %.1f ms", b.path("throughput_per_s").asDouble(),
                            b.path("latency_ms").path("p50").asDouble(), b.path("latency_ms").path("p99").asDouble()))
                    .append(" | ").append(c == broker.keySet().stream().mapToInt(Integer::intValue).max().orElse(c)
                            ? "≥ 1,000 paid/s on 2 cores" : "").append(" |\n");
            if (d != null) {
                s.append("| E2E c=").append(c).append(" direct mppx: paid/s, p50 / p99 ms | ")
                        .append(String.format("%.0f/s, %.1f / %.1f ms", d.path("throughput_per_s").asDouble(),
                                d.path("latency_ms").path("p50").asDouble(), d.path("latency_ms").path("p99").asDouble()))
                        .append(" | |\n");
                s.append("| E2E c=").append(c).append(" broker/direct: p50, p99, throughput | ")
                        .append(String.format("%.2f×, %.2f×, %.2f×",
                                b.path("latency_ms").path("p50").asDouble() / d.path("latency_ms").path("p50").asDouble(),
                                b.path("latency_ms").path("p99").asDouble() / d.path("latency_ms").path("p99").asDouble(),
                                b.path("throughput_per_s").asDouble() / d.path("throughput_per_s").asDouble()))
                        .append(" | latency ≤ 1.25× |\n");
            }
            s.append("| E2E c=").append(c).append(" broker: DB commits per paid request | ")
                    .append(String.format("%.2f", b.path("db_commits_per_paid").asDouble())).append(" | |\n");
        }
        JsonNode o = p.path("overspend");
        if (o.isMissingNode()) {
            s.append("| Overspend under load | not checked in this run (--overspend false) | zero |\n");
        } else {
            s.append("| Overspend under load (budget ").append(o.path("budget_per_day").asText()).append("/day) | ")
                    .append(o.path("overspent").asBoolean() ? "OVERSPENT" : "none")
                    .append(": seller settled ").append(o.path("seller_settled_total").asText()).append(", ledger ")
                    .append(o.path("ledger_reserved_or_captured").asText()).append(" | zero |\n");
        }
        JsonNode c = p.path("consistency");
        s.append("| Paid responses = seller settlements | ").append(c.path("match").asBoolean() ? "yes" : "NO").append(" (")
                .append(c.path("paid_responses_all_phases").asInt()).append(" / ").append(c.path("seller_settled").asInt())
                .append(") | equal |\n");
    }

    /** One holds run: how many were held, the heap with all held, and approval (or denial) call to the agent's answer. */
    private static void holds(JsonNode h, StringBuilder s) {
        JsonNode with = h.path("with_holds");
        JsonNode lat = h.path("decision_to_agent_response_ms");
        String run = String.format("%,d held, %s at %d/s", h.path("holds").asInt(), h.path("decision").asText("approve"),
                h.path("approve_rate_per_s").asInt());
        s.append("| Holds (").append(run).append("): registered on one node | ").append(h.path("holds_registered").asInt())
                .append(" of ").append(h.path("holds").asInt()).append(" | 10,000 |\n");
        s.append("| Holds (").append(run).append("): heap used (after GC) / RSS with all held | ")
                .append(String.format("%.0f MiB / %.0f MiB (max heap %.0f MiB)", with.path("heap_used_after_gc_mib").asDouble(),
                        with.path("rss_mib").asDouble(), with.path("heap_max_mib").asDouble()))
                .append(" | ≤ 512 MiB heap |\n");
        s.append("| Holds (").append(run).append("): decision call → agent response p50 / p99 | ")
                .append(String.format("%.1f / %.1f ms", lat.path("p50").asDouble(), lat.path("p99").asDouble()))
                .append(" | p99 ≤ 50 ms |\n");
    }

    /** Every result file with the prefix, largest run first (then oldest first). */
    private static List<JsonNode> all(Path dir, String prefix) throws IOException {
        List<Path> files = new ArrayList<>();
        try (Stream<Path> list = Files.list(dir)) {
            list.filter(f -> f.getFileName().toString().startsWith(prefix) && f.toString().endsWith(".json")).forEach(files::add);
        }
        files.sort(null);
        List<JsonNode> nodes = new ArrayList<>();
        for (Path f : files) {
            nodes.add(JSON.readTree(f.toFile()));
        }
        nodes.sort((a, b) -> Integer.compare(b.path("holds").asInt(), a.path("holds").asInt()));
        return nodes;
    }

    private static Optional<JsonNode> newest(Path dir, String prefix) throws IOException {
        List<Path> files = new ArrayList<>();
        try (Stream<Path> list = Files.list(dir)) {
            list.filter(f -> f.getFileName().toString().startsWith(prefix) && f.toString().endsWith(".json")).forEach(files::add);
        }
        files.sort(null);
        return files.isEmpty() ? Optional.empty() : Optional.of(JSON.readTree(files.get(files.size() - 1).toFile()));
    }
}
