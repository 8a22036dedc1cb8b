package io.mppbroker.bench.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.mppbroker.testkit.MppTestSeller;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Auto-tier payments through the broker versus the same payments made directly with the mppx client, in one
 * run, against the same seller and fake Stripe. For each concurrency the two paths alternate (rounds, order
 * swapped every round) so that drifting machine load hits both alike. Also: zero overspend of a capped
 * project under load, and that every paid response matches exactly one payment the seller settled.
 */
final class PaymentsBench {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final String PRICE_MINOR = "100"; // 1.00 usd: above Stripe's minimum, below auto_below
    private static final String CAPPED_PER_DAY = "50.00";

    private final Map<String, String> options;
    private final Path results;
    private final int seconds;
    private final int warmupSeconds;
    /** {@code --overspend false} leaves out the overspend check (e.g. to profile the measured phases alone). */
    private final boolean checkOverspend;
    private final int rounds;
    private final int[] concurrencies;
    private final String brokerJava;
    private final Map<String, String> brokerEnv;
    private final Path loadgen = Path.of("bench/e2e/loadgen/loadgen.mjs").toAbsolutePath();

    /** Per (mode, concurrency): every latency and the totals, over all rounds. */
    private final Map<String, Phase> phases = new LinkedHashMap<>();
    private int paidOutsidePhases;

    PaymentsBench(Map<String, String> options, Path results) {
        this.options = options;
        this.results = results;
        this.seconds = Integer.parseInt(options.getOrDefault("seconds", "20"));
        this.warmupSeconds = Integer.parseInt(options.getOrDefault("warmup", "20"));
        this.checkOverspend = Boolean.parseBoolean(options.getOrDefault("overspend", "true"));
        this.rounds = Integer.parseInt(options.getOrDefault("rounds", "2"));
        this.concurrencies = Arrays.stream(options.getOrDefault("concurrency", "1,16,64").split(","))
                .mapToInt(Integer::parseInt).toArray();
        this.brokerJava = options.getOrDefault("broker-java-options", "-Xms1g -Xmx1g");
        this.brokerEnv = brokerEnv(options.getOrDefault("broker-env", ""));
    }

    /** {@code --broker-env K=V,K=V}: extra broker configuration, e.g. a pool size to compare. */
    static Map<String, String> brokerEnv(String spec) {
        Map<String, String> env = new LinkedHashMap<>();
        for (String kv : spec.split(",")) {
            if (!kv.isBlank()) {
                env.put(kv.substring(0, kv.indexOf('=')).strip(), kv.substring(kv.indexOf('=') + 1).strip());
            }
        }
        return env;
    }

    private static final class Phase {
        final String mode;
        final int concurrency;
        final List<double[]> latencies = new ArrayList<>();
        int ok;
        int failed;
        double seconds;
        double brokerCpuMs;
        double postgresCpuMs;
        double benchCpuMs;
        double clientCpuMs;
        long commits;
        Map<String, Integer> statuses = new LinkedHashMap<>();
        List<String> failures = new ArrayList<>();

        Phase(String mode, int concurrency) {
            this.mode = mode;
            this.concurrency = concurrency;
        }

        double[] all() {
            return latencies.stream().flatMapToDouble(Arrays::stream).toArray();
        }
    }

    void run() throws Exception {
        Files.createDirectories(results);
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("machine", Machine.describe());
        report.put("started", Instant.now().toString());
        double loadBefore = Cpu.loadAverage();
        try (Fixture fx = Fixture.start("payments")) {
            fx.seller.price("GET", "/item", PRICE_MINOR, "usd");
            fx.seller.price("GET", "/capped", PRICE_MINOR, "usd");
            fx.writePolicies("10.00", "100000000.00", Map.of("capped",
                    Fixture.policy("capped", Fixture.agents("capped", 8), "10.00", CAPPED_PER_DAY)));
            fx.startBroker("bench-payments", brokerJava, brokerEnv);
            long brokerPid = fx.brokerPid();
            try (Connection c = fx.db()) {
                report.put("postgres", Map.of(
                        "version", Fixture.query(c, "SHOW server_version"),
                        "fsync", Fixture.query(c, "SHOW fsync"),
                        "synchronous_commit", Fixture.query(c, "SHOW synchronous_commit"),
                        "wal_sync_method", Fixture.query(c, "SHOW wal_sync_method")));
            }
            report.put("broker_java_options", brokerJava);
            report.put("broker_env", brokerEnv);
            String itemUrl = fx.seller.baseUrl() + "/item";
            List<String> tokens = Fixture.allAgentTokens();

            System.out.printf("warming up: %d s per path%n", warmupSeconds);
            paidOutsidePhases += loadgen(brokerConfig(fx, itemUrl, tokens, 16, warmupSeconds)).path("ok").asInt();
            paidOutsidePhases += loadgen(directConfig(fx, itemUrl, 16, warmupSeconds)).path("ok").asInt();

            for (int round = 0; round < rounds; round++) {
                for (int c : concurrencies) {
                    List<String> order = round % 2 == 0 ? List.of("direct", "broker") : List.of("broker", "direct");
                    for (String mode : order) {
                        runPhase(fx, brokerPid, mode, c, mode.equals("broker")
                                ? brokerConfig(fx, itemUrl, tokens, c, seconds)
                                : directConfig(fx, itemUrl, c, seconds));
                    }
                }
            }

            // Overspend: a project allowed 50.00 a day is asked for 8x that by 16 agents at once, while the other
            // projects keep the broker loaded. Measured apart, so it does not colour the figures above.
            if (checkOverspend) {
                report.put("overspend", underLoad(fx, itemUrl, tokens));
            }
            report.put("consistency", consistency(fx));
            report.put("load_average_1m", Map.of("before", loadBefore, "after", Cpu.loadAverage()));
            report.put("phases", phaseReport());
            report.put("finished", Instant.now().toString());
        }
        String stamp = Instant.now().toString().replace(":", "").replace(".", "");
        Path json = results.resolve("payments-" + stamp + ".json");
        Files.writeString(json, JSON.writeValueAsString(report));
        String md = markdown(report);
        Files.writeString(results.resolve("payments-" + stamp + ".md"), md);
        System.out.println(md);
        System.out.println("results: " + json);
    }

    /** Zero overspend of the capped project while the other projects load the broker. */
    private Map<String, Object> underLoad(Fixture fx, String itemUrl, List<String> tokens) throws Exception {
        int loadConcurrency = concurrencies[concurrencies.length - 1];
        System.out.printf("overspend check under load (c=%d + capped c=16)%n", loadConcurrency);
        CompletableFuture<JsonNode> background = CompletableFuture.supplyAsync(() ->
                loadgen(brokerConfig(fx, itemUrl, tokens, loadConcurrency, seconds)));
        Thread.sleep(2000);
        JsonNode capped = loadgen(cappedConfig(fx, 16, 8 * 50));
        JsonNode load = background.get(10, TimeUnit.MINUTES);
        paidOutsidePhases += load.path("ok").asInt();
        Map<String, Object> overspend = overspend(fx, capped);
        overspend.put("concurrent_load", Map.of("paid", load.path("ok").asInt(), "failed", load.path("failed").asInt(),
                "paid_per_s", load.path("throughput").asDouble()));
        return overspend;
    }

    private Map<String, Object> brokerConfig(Fixture fx, String url, List<String> tokens, int concurrency, int secs) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("mode", "broker");
        m.put("url", url);
        m.put("brokerUrl", fx.broker.baseUrl());
        m.put("tokens", tokens);
        m.put("concurrency", concurrency);
        m.put("seconds", secs);
        return m;
    }

    private Map<String, Object> directConfig(Fixture fx, String url, int concurrency, int secs) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("mode", "direct");
        m.put("url", url);
        m.put("stripeUrl", fx.stripe.baseUrl());
        m.put("stripeKey", "sk_test_bench_direct_client");
        m.put("paymentMethod", "pm_card_visa");
        m.put("concurrency", concurrency);
        m.put("seconds", secs);
        return m;
    }

    private Map<String, Object> cappedConfig(Fixture fx, int concurrency, int count) {
        Map<String, Object> m = brokerConfig(fx, fx.seller.baseUrl() + "/capped",
                java.util.stream.IntStream.range(0, 8).mapToObj(a -> Fixture.agentToken("capped", a)).toList(),
                concurrency, 600);
        m.put("count", count);
        m.put("taskPrefix", "capped");
        return m;
    }

    private void runPhase(Fixture fx, long brokerPid, String mode, int concurrency, Map<String, Object> config)
            throws Exception {
        Path out = Files.createTempFile("lat-", ".txt");
        config.put("out", out.toString());
        double broker0 = Cpu.processMs(brokerPid);
        double pg0 = Cpu.postgresBackendsMs(fx.database);
        double self0 = Cpu.processMs(ProcessHandle.current().pid());
        long commits0 = fx.dbStats().getOrDefault("xact_commit", 0L);
        JsonNode r = loadgen(config);
        Thread.sleep(600); // pg_stat counters are flushed by backends at most once a second when idle
        long commits1 = fx.dbStats().getOrDefault("xact_commit", 0L);
        Phase p = phases.computeIfAbsent(mode + "@" + concurrency, k -> new Phase(mode, concurrency));
        p.latencies.add(Files.readAllLines(out).stream().filter(s -> !s.isBlank()).mapToDouble(Double::parseDouble).toArray());
        Files.deleteIfExists(out);
        p.ok += r.path("ok").asInt();
        p.failed += r.path("failed").asInt();
        p.seconds += r.path("seconds").asDouble();
        p.brokerCpuMs += Cpu.processMs(brokerPid) - broker0;
        p.postgresCpuMs += Cpu.postgresBackendsMs(fx.database) - pg0;
        p.benchCpuMs += Cpu.processMs(ProcessHandle.current().pid()) - self0;
        p.clientCpuMs += (r.path("cpu").path("user").asDouble() + r.path("cpu").path("system").asDouble()) / 1000.0;
        p.commits += commits1 - commits0;
        r.path("statuses").fields().forEachRemaining(e -> p.statuses.merge(e.getKey(), e.getValue().asInt(), Integer::sum));
        r.path("failures").forEach(f -> {
            if (p.failures.size() < 5) {
                p.failures.add(f.asText());
            }
        });
        System.out.printf("%-6s c=%-3d ok=%-6d failed=%-4d %.0f/s p50=%.2f ms p99=%.2f ms (load %.1f)%n", mode,
                concurrency, r.path("ok").asInt(), r.path("failed").asInt(), r.path("throughput").asDouble(),
                r.path("latencyMs").path("p50").asDouble(), r.path("latencyMs").path("p99").asDouble(),
                Cpu.loadAverage());
    }

    /** Runs one loadgen.mjs process and returns its JSON line. */
    private JsonNode loadgen(Map<String, Object> config) {
        try {
            Process process = new ProcessBuilder("node", loadgen.toString(), JSON.writer().without(
                    SerializationFeature.INDENT_OUTPUT).writeValueAsString(config))
                    .directory(loadgen.getParent().toFile())
                    .redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start();
            String out;
            try (InputStream in = process.getInputStream()) {
                out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            if (process.waitFor() != 0) {
                throw new IllegalStateException("loadgen failed: " + out);
            }
            String last = out.strip().lines().reduce((a, b) -> b).orElse("{}");
            return JSON.readTree(last);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A project allowed 50.00 a day gets 8x that in 1.00 payments from 16 agents at once, while the rest is loaded. */
    private Map<String, Object> overspend(Fixture fx, JsonNode capped) throws Exception {
        List<MppTestSeller.SellerPayment> settled = fx.seller.payments().stream()
                .filter(p -> p.path().equals("/capped")).toList();
        long settledMinor = settled.stream().mapToLong(p -> Long.parseLong(p.amount())).sum();
        String ledger;
        try (Connection c = fx.db()) {
            ledger = Fixture.query(c, "SELECT coalesce(sum(amount), 0) FROM budget_reservation WHERE project = 'capped'"
                    + " AND state <> 'RELEASED'");
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("budget_per_day", CAPPED_PER_DAY);
        m.put("requests", capped.path("requests").asInt());
        m.put("paid_responses", capped.path("ok").asInt());
        m.put("statuses", capped.path("statuses"));
        m.put("seller_settled_count", settled.size());
        m.put("seller_settled_total", String.format("%d.%02d", settledMinor / 100, settledMinor % 100));
        m.put("ledger_reserved_or_captured", ledger);
        m.put("overspent", settledMinor > 5000 || new java.math.BigDecimal(ledger).compareTo(new java.math.BigDecimal(CAPPED_PER_DAY)) > 0);
        paidOutsidePhases += capped.path("ok").asInt();
        return m;
    }

    /** Every 200 counted by a client is one payment the seller settled, and the other way round. */
    private Map<String, Object> consistency(Fixture fx) {
        int clientPaid = phases.values().stream().mapToInt(p -> p.ok).sum() + paidOutsidePhases;
        int sellerSettled = fx.seller.payments().size();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("paid_responses_all_phases", clientPaid);
        m.put("seller_settled", sellerSettled);
        m.put("stripe_payment_intents", fx.stripe.paymentIntents().size());
        m.put("match", clientPaid == sellerSettled);
        return m;
    }

    private List<Map<String, Object>> phaseReport() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Phase p : phases.values()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("mode", p.mode);
            m.put("concurrency", p.concurrency);
            m.put("paid", p.ok);
            m.put("failed", p.failed);
            m.put("seconds", p.seconds);
            m.put("throughput_per_s", p.ok / p.seconds);
            m.put("latency_ms", Stats.summary(p.all()));
            m.put("cpu_ms_per_paid", Map.of(
                    "broker", p.brokerCpuMs / Math.max(1, p.ok),
                    "postgres_backends", p.postgresCpuMs / Math.max(1, p.ok),
                    "seller_and_fake_stripe", p.benchCpuMs / Math.max(1, p.ok),
                    "client", p.clientCpuMs / Math.max(1, p.ok)));
            m.put("db_commits_per_paid", p.mode.equals("broker") ? (double) p.commits / Math.max(1, p.ok) : 0);
            m.put("statuses", p.statuses);
            m.put("failure_samples", p.failures);
            out.add(m);
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private String markdown(Map<String, Object> report) {
        StringBuilder s = new StringBuilder();
        s.append("## Payments: broker vs direct mppx client\n\n");
        s.append("Machine: ").append(report.get("machine")).append("\n\n");
        s.append("PostgreSQL: ").append(report.get("postgres")).append("; broker JVM: ").append(brokerJava).append("\n\n");
        s.append("Load average (1 min) before/after: ").append(report.get("load_average_1m")).append("\n\n");
        s.append("| concurrency | path | paid | failed | paid/s | p50 ms | p90 ms | p99 ms | max ms | CPU ms/paid broker | PG backends | seller+Stripe fakes | client | DB commits/paid |\n");
        s.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (Map<String, Object> p : (List<Map<String, Object>>) report.get("phases")) {
            Map<String, Double> l = (Map<String, Double>) p.get("latency_ms");
            Map<String, Double> cpu = (Map<String, Double>) p.get("cpu_ms_per_paid");
            s.append("| ").append(p.get("concurrency")).append(" | ").append(p.get("mode")).append(" | ")
                    .append(p.get("paid")).append(" | ").append(p.get("failed")).append(" | ")
                    .append(Stats.f((Double) p.get("throughput_per_s"))).append(" | ")
                    .append(Stats.f(l.get("p50"))).append(" | ").append(Stats.f(l.get("p90"))).append(" | ")
                    .append(Stats.f(l.get("p99"))).append(" | ").append(Stats.f(l.get("max"))).append(" | ")
                    .append(Stats.f(cpu.get("broker"))).append(" | ").append(Stats.f(cpu.get("postgres_backends")))
                    .append(" | ").append(Stats.f(cpu.get("seller_and_fake_stripe"))).append(" | ")
                    .append(Stats.f(cpu.get("client"))).append(" | ")
                    .append(p.get("mode").equals("broker") ? Stats.f((Double) p.get("db_commits_per_paid")) : "-")
                    .append(" |\n");
        }
        s.append("\n| concurrency | p50 broker/direct | p99 broker/direct | throughput broker/direct |\n|---|---|---|---|\n");
        for (int c : concurrencies) {
            Phase b = phases.get("broker@" + c);
            Phase d = phases.get("direct@" + c);
            if (b == null || d == null) {
                continue;
            }
            Map<String, Double> lb = Stats.summary(b.all());
            Map<String, Double> ld = Stats.summary(d.all());
            s.append("| ").append(c).append(" | ").append(Stats.f(lb.get("p50") / ld.get("p50"))).append(" | ")
                    .append(Stats.f(lb.get("p99") / ld.get("p99"))).append(" | ")
                    .append(Stats.f((b.ok / b.seconds) / (d.ok / d.seconds))).append(" |\n");
        }
        s.append("\nOverspend check: ").append(report.getOrDefault("overspend", "not run (--overspend false)")).append("\n\n");
        s.append("Consistency: ").append(report.get("consistency")).append("\n");
        return s.toString();
    }
}
