package io.mppbroker.bench.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Ten thousand agents wait at once on one broker node ({@code GET /v1/payments/{id}?wait=}) for payments parked
 * for a human; then an approver approves them one after another at a steady rate, and each agent's held call
 * returns with the paid result. Measured: heap used after a full GC with every request held (broker started
 * with {@code -Xmx512m}, the target), live threads, and the time from the approval call to the agent's response.
 */
final class HoldsBench {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final String PRICE_MINOR = "2000"; // 20.00 usd: above auto_below, one approver decides

    private final Path results;
    private final int holds;
    private final int approveRate;
    private final int openRate;
    private final String brokerJava;
    private final String decision;
    /** Holds opened and decided, unmeasured, before the measured ones: the broker's JIT compiles the decision path. */
    private final int warmupHolds;

    HoldsBench(Map<String, String> options, Path results) {
        this.results = results;
        this.holds = Integer.parseInt(options.getOrDefault("holds", "10000"));
        this.approveRate = Integer.parseInt(options.getOrDefault("approve-rate", "100"));
        this.openRate = Integer.parseInt(options.getOrDefault("open-rate", "1000"));
        this.brokerJava = options.getOrDefault("broker-java-options", "-Xmx512m");
        this.decision = options.getOrDefault("decision", "approve");
        this.warmupHolds = Integer.parseInt(options.getOrDefault("warmup", "2000"));
    }

    private record Parked(String paymentId, String approvalId, String token) {}

    /** When the agents started waiting, and when each re-attached after the hold cap (nanoTime). */
    private long openedAt;
    private final List<Long> reAttaches = java.util.Collections.synchronizedList(new ArrayList<>());

    void run() throws Exception {
        Files.createDirectories(results);
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("machine", Machine.describe());
        report.put("started", Instant.now().toString());
        report.put("holds", holds);
        report.put("broker_java_options", brokerJava);
        report.put("decision", decision);
        report.put("approve_rate_per_s", approveRate);
        ExecutorService callbacks = Executors.newFixedThreadPool(4);
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).executor(callbacks)
                .version(HttpClient.Version.HTTP_1_1).build();
        try (Fixture fx = Fixture.start("holds")) {
            fx.seller.price("GET", "/held", PRICE_MINOR, "usd");
            fx.writePolicies("10.00", "100000000.00", Map.of());
            fx.startBroker("bench-holds", brokerJava, Map.of());
            long pid = fx.brokerPid();
            String base = fx.broker.baseUrl();
            List<String> tokens = Fixture.allAgentTokens();

            // 0. Warm-up: the same path for fewer holds, not measured (a fresh JVM interprets and compiles at first).
            report.put("warmup", warmUp(http, base, fx.seller.baseUrl() + "/held", tokens));

            // 1. Park the payments (each one a 202 pending_approval).
            long t = System.nanoTime();
            List<Parked> parked = park(http, base, fx.seller.baseUrl() + "/held", tokens, holds, "hold-");
            report.put("park_seconds", (System.nanoTime() - t) / 1e9);
            report.put("before_holds", snapshot(http, base, pid));

            // 2. Every agent waits at once.
            Map<String, Long> respondedAt = new ConcurrentHashMap<>();
            Map<String, CompletableFuture<HttpResponse<String>>> held = new LinkedHashMap<>();
            t = System.nanoTime();
            openedAt = t;
            long interval = 1_000_000_000L / openRate;
            for (int i = 0; i < parked.size(); i++) {
                Parked p = parked.get(i);
                pace(t, i, interval);
                CompletableFuture<HttpResponse<String>> f = waitFor(http, base, p);
                f.whenComplete((r, e) -> respondedAt.put(p.paymentId(), System.nanoTime()));
                held.put(p.paymentId(), f);
            }
            double active = 0;
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
            while (System.nanoTime() < deadline && (active = metric(http, base, "broker_holds_active")) < holds) {
                Thread.sleep(500);
            }
            report.put("holds_registered", active);
            report.put("open_seconds", (System.nanoTime() - t) / 1e9);
            report.put("returned_early", held.values().stream().filter(CompletableFuture::isDone).count());
            report.put("with_holds", snapshot(http, base, pid));

            // 3. Approve (or deny) them at a steady rate; time each from the call to the agent's response.
            Map<String, Long> calledAt = new ConcurrentHashMap<>();
            List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
            List<Double> answerMs = java.util.Collections.synchronizedList(new ArrayList<>());
            Map<String, Double> answerMsById = new ConcurrentHashMap<>();
            String body = "{\"decision\":\"" + decision + "\",\"note\":\"benchmark\"}";
            t = System.nanoTime();
            long answersStarted = t;
            interval = 1_000_000_000L / approveRate;
            for (int i = 0; i < parked.size(); i++) {
                Parked p = parked.get(i);
                pace(t, i, interval);
                long t0 = System.nanoTime();
                calledAt.put(p.paymentId(), t0);
                answers.add(http.sendAsync(HttpRequest.newBuilder(URI.create(base + "/v1/approvals/" + p.approvalId()))
                                .timeout(Duration.ofSeconds(120)).header("Authorization", "Bearer " + Fixture.approverToken())
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString())
                        .whenComplete((r, e) -> {
                            double ms = (System.nanoTime() - t0) / 1e6;
                            answerMs.add(ms);
                            answerMsById.put(p.paymentId(), ms);
                        }));
            }
            double approveSeconds = (System.nanoTime() - t) / 1e9;
            int answerFailures = 0;
            for (CompletableFuture<HttpResponse<String>> a : answers) {
                HttpResponse<String> r = a.get(5, TimeUnit.MINUTES);
                if (r.statusCode() != 200) {
                    answerFailures++;
                }
            }
            String expected = decision.equals("approve") ? "paid" : "denied";
            List<Double> latencies = new ArrayList<>();
            Map<String, Integer> outcomes = new LinkedHashMap<>();
            List<String> samples = new ArrayList<>();
            for (Map.Entry<String, CompletableFuture<HttpResponse<String>>> e : held.entrySet()) {
                String outcome;
                try {
                    HttpResponse<String> r = e.getValue().get(10, TimeUnit.MINUTES);
                    outcome = r.statusCode() + " " + JSON.readTree(r.body()).path("status").asText();
                    if (outcome.equals("200 " + expected)) {
                        latencies.add((respondedAt.get(e.getKey()) - calledAt.get(e.getKey())) / 1e6);
                    } else if (samples.size() < 3) {
                        samples.add(outcome + ": " + r.body().substring(0, Math.min(300, r.body().length())));
                    }
                } catch (Exception ex) {
                    outcome = "error " + ex.getClass().getSimpleName();
                    if (samples.size() < 3) {
                        samples.add(outcome + ": " + ex.getMessage());
                    }
                }
                outcomes.merge(outcome, 1, Integer::sum);
            }
            report.put("answer_seconds", approveSeconds);
            report.put("answer_call_failures", answerFailures);
            report.put("answer_call_ms", Stats.summary(answerMs.stream().mapToDouble(Double::doubleValue).toArray()));
            report.put("held_outcomes", outcomes);
            report.put("failure_samples", samples);
            report.put("decision_to_agent_response_ms", Stats.summary(latencies.stream().mapToDouble(Double::doubleValue).toArray()));
            report.put("re_attaches", reAttaches.size());
            report.put("timeline_10s", timeline(answersStarted, calledAt, respondedAt, answerMsById));
            report.put("after", snapshot(http, base, pid));
            report.put("load_average_1m_end", Cpu.loadAverage());
        } finally {
            callbacks.shutdownNow();
        }
        report.put("finished", Instant.now().toString());
        String stamp = Instant.now().toString().replace(":", "").replace(".", "");
        Path json = results.resolve("holds-" + stamp + ".json");
        String text = JSON.writeValueAsString(report);
        Files.writeString(json, text);
        System.out.println(text);
        System.out.println("results: " + json);
    }

    /**
     * Waits for the payment's outcome as an agent does: the broker holds a call at most 55 s and then answers
     * {@code 202} with the state so far, so the agent asks again until the answer is final.
     */
    private CompletableFuture<HttpResponse<String>> waitFor(HttpClient http, String base, Parked p) {
        return http.sendAsync(HttpRequest.newBuilder(URI.create(base + "/v1/payments/" + p.paymentId() + "?wait=55"))
                                .timeout(Duration.ofSeconds(120)).header("Authorization", "Bearer " + p.token()).GET().build(),
                        HttpResponse.BodyHandlers.ofString())
                .thenCompose(r -> {
                    String status;
                    try {
                        status = JSON.readTree(r.body()).path("status").asText();
                    } catch (IOException e) {
                        return CompletableFuture.completedFuture(r);
                    }
                    boolean stillOpen = r.statusCode() == 202
                            && (status.equals("pending_approval") || status.equals("approved"));
                    if (stillOpen) {
                        reAttaches.add(System.nanoTime());
                        return waitFor(http, base, p);
                    }
                    return CompletableFuture.completedFuture(r);
                });
    }

    /**
     * Per 10 s of the decision phase: decisions sent, the decision call's and the release's p50/p99, and how many
     * agents re-attached in that window; shows whether slow releases follow the re-attach burst or the rate.
     */
    private List<Map<String, Object>> timeline(long start, Map<String, Long> calledAt, Map<String, Long> respondedAt,
                                               Map<String, Double> answerMs) {
        Map<Integer, List<double[]>> buckets = new java.util.TreeMap<>();
        calledAt.forEach((id, t0) -> {
            Long done = respondedAt.get(id);
            Double call = answerMs.get(id);
            buckets.computeIfAbsent((int) ((t0 - start) / 10_000_000_000L), k -> new ArrayList<>())
                    .add(new double[] {call == null ? Double.NaN : call, done == null ? Double.NaN : (done - t0) / 1e6});
        });
        Map<Integer, Integer> reAttached = new java.util.TreeMap<>();
        synchronized (reAttaches) {
            for (long r : reAttaches) {
                reAttached.merge((int) Math.floorDiv(r - start, 10_000_000_000L), 1, Integer::sum);
            }
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        buckets.forEach((b, samples) -> {
            double[] calls = samples.stream().mapToDouble(x -> x[0]).filter(x -> !Double.isNaN(x)).sorted().toArray();
            double[] releases = samples.stream().mapToDouble(x -> x[1]).filter(x -> !Double.isNaN(x)).sorted().toArray();
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("from_s", b * 10);
            row.put("decisions", samples.size());
            row.put("call_p50_ms", Stats.percentile(calls, 50));
            row.put("call_p99_ms", Stats.percentile(calls, 99));
            row.put("release_p50_ms", Stats.percentile(releases, 50));
            row.put("release_p99_ms", Stats.percentile(releases, 99));
            row.put("re_attaches", reAttached.getOrDefault(b, 0));
            rows.add(row);
        });
        System.out.printf("agents opened their holds %.1f s before the decisions started%n", (start - openedAt) / 1e9);
        return rows;
    }

    /** Parks, holds and decides {@link #warmupHolds} payments at the measured rate; returns their release times. */
    private Map<String, Object> warmUp(HttpClient http, String base, String url, List<String> tokens) throws Exception {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("holds", warmupHolds);
        if (warmupHolds == 0) {
            return m;
        }
        long started = System.nanoTime();
        List<Parked> parked = park(http, base, url, tokens, warmupHolds, "warmup-");
        // Opened at the measured phase's rate and registered before the first decision, as there.
        List<CompletableFuture<HttpResponse<String>>> held = new ArrayList<>();
        long t = System.nanoTime();
        for (int i = 0; i < parked.size(); i++) {
            pace(t, i, 1_000_000_000L / openRate);
            held.add(waitFor(http, base, parked.get(i)));
        }
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (System.nanoTime() < deadline && metric(http, base, "broker_holds_active") < warmupHolds) {
            Thread.sleep(500);
        }
        String body = "{\"decision\":\"" + decision + "\",\"note\":\"warm-up\"}";
        List<Double> releaseMs = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicInteger failed = new AtomicInteger();
        t = System.nanoTime();
        long interval = 1_000_000_000L / approveRate;
        List<CompletableFuture<?>> all = new ArrayList<>();
        for (int i = 0; i < parked.size(); i++) {
            pace(t, i, interval);
            long t0 = System.nanoTime();
            http.sendAsync(HttpRequest.newBuilder(URI.create(base + "/v1/approvals/" + parked.get(i).approvalId()))
                    .timeout(Duration.ofSeconds(120)).header("Authorization", "Bearer " + Fixture.approverToken())
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString())
                    .whenComplete((r, e) -> {
                        if (e != null || r.statusCode() != 200) {
                            failed.incrementAndGet(); // its agent keeps re-attaching: not waited for below
                        }
                    });
            all.add(held.get(i).whenComplete((r, e) -> releaseMs.add((System.nanoTime() - t0) / 1e6)));
        }
        try {
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(3, TimeUnit.MINUTES);
        } catch (java.util.concurrent.TimeoutException e) {
            m.put("not_released", all.stream().filter(f -> !f.isDone()).count());
        }
        m.put("decision_call_failures", failed.get());
        reAttaches.clear(); // the measured phase counts its own
        m.put("seconds", (System.nanoTime() - started) / 1e9);
        m.put("decision_to_agent_response_ms", Stats.summary(releaseMs.stream().mapToDouble(Double::doubleValue).toArray()));
        return m;
    }

    private List<Parked> park(HttpClient http, String base, String url, List<String> tokens, int count, String taskPrefix)
            throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(32);
        AtomicInteger n = new AtomicInteger();
        List<Future<Parked>> futures = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String token = tokens.get(i % tokens.size());
            futures.add(pool.submit(() -> {
                String body = JSON.writeValueAsString(Map.of("task", taskPrefix + n.incrementAndGet(), "purpose", "benchmark",
                        "request", Map.of("method", "GET", "url", url)));
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/payments"))
                        .timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer " + token)
                        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                        HttpResponse.BodyHandlers.ofString());
                JsonNode p = JSON.readTree(r.body());
                if (r.statusCode() != 202 || !"pending_approval".equals(p.path("status").asText())) {
                    throw new IllegalStateException("not parked: " + r.statusCode() + " " + r.body());
                }
                return new Parked(p.path("id").asText(), p.path("approval").path("id").asText(), token);
            }));
        }
        List<Parked> parked = new ArrayList<>();
        for (Future<Parked> f : futures) {
            parked.add(f.get(10, TimeUnit.MINUTES));
        }
        pool.shutdown();
        return parked;
    }

    private static void pace(long start, int i, long intervalNanos) throws InterruptedException {
        long due = start + i * intervalNanos;
        long wait = due - System.nanoTime();
        if (wait > 0) {
            TimeUnit.NANOSECONDS.sleep(wait);
        }
    }

    /** Heap used after a full GC, live threads and resident memory of the broker. */
    private Map<String, Object> snapshot(HttpClient http, String base, long pid) throws Exception {
        Process gc = new ProcessBuilder("jcmd", Long.toString(pid), "GC.run").redirectErrorStream(true).start();
        gc.getInputStream().readAllBytes();
        gc.waitFor(60, TimeUnit.SECONDS);
        Thread.sleep(1000);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("heap_used_after_gc_mib", metric(http, base, "jvm_memory_used_bytes\\{area=\"heap\"[^}]*\\}") / (1 << 20));
        m.put("heap_max_mib", maxHeap(http, base) / (1 << 20));
        m.put("live_threads", metric(http, base, "jvm_threads_live_threads"));
        m.put("holds_active", metric(http, base, "broker_holds_active"));
        m.put("rss_mib", rssKb(pid) / 1024.0);
        return m;
    }

    private static double maxHeap(HttpClient http, String base) throws Exception {
        String text = metrics(http, base);
        Matcher m = Pattern.compile("(?m)^jvm_memory_max_bytes\\{area=\"heap\"[^}]*\\} ([0-9.eE+-]+)$").matcher(text);
        double sum = 0;
        while (m.find()) {
            double v = Double.parseDouble(m.group(1));
            if (v > 0) {
                sum += v;
            }
        }
        return sum;
    }

    private static double rssKb(long pid) {
        try {
            return Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")).stream()
                    .filter(l -> l.startsWith("VmRSS:")).mapToDouble(l -> Double.parseDouble(l.replaceAll("[^0-9]", "")))
                    .findFirst().orElse(Double.NaN);
        } catch (IOException e) {
            return Double.NaN;
        }
    }

    private static String metrics(HttpClient http, String base) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + "/q/metrics")).timeout(Duration.ofSeconds(30)).GET().build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8)).body();
    }

    /** Sum of every series of a metric whose name (a regex, labels optional) matches. */
    private static double metric(HttpClient http, String base, String name) throws Exception {
        Matcher m = Pattern.compile("(?m)^" + name + (name.endsWith("}") ? "" : "(\\{[^}]*\\})?") + " ([0-9.eE+-]+)$")
                .matcher(metrics(http, base));
        double sum = 0;
        while (m.find()) {
            sum += Double.parseDouble(m.group(m.groupCount()));
        }
        return sum;
    }
}
