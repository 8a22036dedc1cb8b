package io.mppbroker.it;

import static io.mppbroker.it.ItSupport.PG;
import static io.mppbroker.it.ItSupport.PG_USER;
import static io.mppbroker.it.ItSupport.PG_PASSWORD;
import static io.mppbroker.it.ItSupport.createDatabase;
import static io.mppbroker.it.ItSupport.sha256;
import static io.mppbroker.it.ItSupport.randomHex;
import static io.mppbroker.it.ItSupport.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mppbroker.testkit.BrokerProcess;
import io.mppbroker.testkit.FakeSlack;
import io.mppbroker.testkit.FakeStripe;
import io.mppbroker.testkit.MppTestSeller;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Two broker processes (the packaged jar) behind no load balancer at all: one PostgreSQL database, one RabbitMQ
 * exchange for wake-ups ({@code broker.cluster.rabbitmq=true}), one shared data directory (audit files, keys).
 * Needs RabbitMQ on 127.0.0.1:5672 (guest/guest; {@code -Dit.rabbitmq.host/port} to change).
 * <ul>
 *   <li>a hold on node A is released by a decision posted on node B (release latency p50/p99 printed);</li>
 *   <li>node A is killed while holding requests: the agents re-attach to node B and get their outcome, each paid
 *       once;</li>
 *   <li>the same approval answered on both nodes at once counts once (API and API; API and Slack);</li>
 *   <li>concurrent payments split across the nodes never overspend the project's budget;</li>
 *   <li>after RabbitMQ drops the nodes' connections they reconnect and wake each other again (needs
 *       {@code rabbitmqctl}; skipped without it).</li>
 * </ul>
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MultiNodeIT {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String CHANNEL = "C0CLUSTERAPPR";
    static final String APPROVER_SLACK_ID = "U0CLUSTER01";
    static final String SIGNING_SECRET = randomHex(16);
    static final String AGENT = "cluster-agent-token";
    static final String APPROVER = "cluster-approver-token";
    static final String BUDGET_AGENT = "budget-agent-token";
    static final int LATENCY_HOLDS = Integer.getInteger("it.cluster.holds", 50);
    static final int WARM_UP = Integer.getInteger("it.cluster.warmup", 5);

    static FakeStripe stripe;
    static FakeSlack slack;
    static MppTestSeller seller;
    static BrokerProcess nodeA;
    static BrokerProcess nodeB;
    static Map<String, String> env;
    static String database;
    static HttpClient http;

    @BeforeAll
    static void start() throws Exception {
        stripe = FakeStripe.start();
        slack = FakeSlack.start();
        slack.addUser(APPROVER_SLACK_ID, "cluster-approver", "Cluster Approver", "approver@example.com");
        slack.addChannel(CHANNEL, "cluster-approvals", APPROVER_SLACK_ID);
        seller = MppTestSeller.builder(stripe.baseUrl()).stripeSecretKey("sk_test_cluster_seller").start();
        seller.price("GET", "/item", "100", "usd"); // 1.00

        database = createDatabase("mpp_it_cluster");
        Path shared = Files.createTempDirectory("it-cluster");
        Path budgets = Files.createDirectories(shared.resolve("budgets"));
        // 1.00 needs a human ("ask"), routed to one approver with a Slack card.
        Files.writeString(budgets.resolve("cluster.yaml"), """
                project: cluster
                currency: usd
                agents:
                  - id: cluster-agent
                    token_sha256: "%s"
                payment:
                  stripe_payment_method: pm_card_visa
                tiers:
                  auto_below: "0.50"
                  explicit_above: "250.00"
                  ceiling: "1000.00"
                sellers:
                  default: allow
                recurring:
                  min_occurrences: 100000
                  window: 1d
                approvers:
                  - id: cluster-approver
                    token_sha256: "%s"
                    slack_user: %s
                routing:
                  ask:
                    routes:
                      - approvers: [cluster-approver]
                        slack:
                          channel: %s
                        timeout: 1h
                """.formatted(sha256(AGENT), sha256(APPROVER), APPROVER_SLACK_ID, CHANNEL));
        // 1.00 is paid automatically, 10.00 a day at most.
        Files.writeString(budgets.resolve("budget.yaml"), """
                project: budget
                currency: usd
                agents:
                  - id: budget-agent
                    token_sha256: "%s"
                payment:
                  stripe_payment_method: pm_card_visa
                budgets:
                  per_day: "10.00"
                tiers:
                  auto_below: "5.00"
                  explicit_above: "250.00"
                  ceiling: "1000.00"
                sellers:
                  default: allow
                recurring:
                  min_occurrences: 100000
                  window: 1d
                approvers:
                  - id: budget-approver
                    token_sha256: "%s"
                """.formatted(sha256(BUDGET_AGENT), sha256("budget-approver-token")));
        Map<String, String> e = new HashMap<>();
        e.put("QUARKUS_DATASOURCE_JDBC_URL", PG + database);
        e.put("QUARKUS_DATASOURCE_USERNAME", PG_USER);
        e.put("QUARKUS_DATASOURCE_PASSWORD", PG_PASSWORD);
        e.put("BROKER_BUDGETS_DIR", budgets.toString());
        e.put("BROKER_DATA_DIR", Files.createDirectories(shared.resolve("data")).toString());
        e.put("BROKER_AUDIT_FILE", shared.resolve("data/audit/audit.jsonl").toString());
        e.put("BROKER_STRIPE_API_BASE", stripe.baseUrl());
        e.put("BROKER_STRIPE_SECRET_KEY", "sk_test_cluster_broker");
        e.put("BROKER_SELLERS_INSECURE_HOSTS", "127.0.0.1,localhost");
        e.put("BROKER_SLACK_API_BASE", slack.baseUrl());
        e.put("BROKER_SLACK_BOT_TOKEN", slack.botToken());
        e.put("BROKER_SLACK_SIGNING_SECRET", SIGNING_SECRET);
        e.put("BROKER_CLUSTER_RABBITMQ", "true");
        e.put("RABBITMQ_HOST", System.getProperty("it.rabbitmq.host", "127.0.0.1"));
        e.put("RABBITMQ_PORT", System.getProperty("it.rabbitmq.port", "5672"));
        // Long enough that only a RabbitMQ wake-up can release a hold within the bounds asserted below.
        e.put("BROKER_CLUSTER_RECHECK", "20s");
        env = Map.copyOf(e);
        nodeA = BrokerProcess.start("cluster-a", env);
        nodeB = BrokerProcess.start("cluster-b", env);
        http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
                .executor(Executors.newFixedThreadPool(16)).build();
    }

    @AfterAll
    static void stop() {
        if (nodeA != null) nodeA.close();
        if (nodeB != null) nodeB.close();
        if (seller != null) seller.close();
        if (slack != null) slack.close();
        if (stripe != null) stripe.close();
    }

    @Test
    @Order(1)
    void aDecisionOnNodeBReleasesAHoldOnNodeA() throws Exception {
        List<Long> micros = new ArrayList<>();
        List<Long> afterAnswer = new ArrayList<>();
        for (int i = -WARM_UP; i < LATENCY_HOLDS; i++) {
            JsonNode p = createPayment(nodeA, AGENT, "t-latency-" + i, null).body();
            assertEquals("pending_approval", p.path("status").asText(), p.toString());
            String id = p.path("id").asText();
            double holdsBefore = metric(nodeA, "broker_holds_active");
            CompletableFuture<HttpResponse<String>> held = hold(nodeA, id, 30);
            awaitTrue(() -> metric(nodeA, "broker_holds_active") > holdsBefore, "the hold registered on node A");

            long sent = System.nanoTime();
            Reply denied = send(nodeB, "POST", "/v1/approvals/" + p.path("approval").path("id").asText(), APPROVER,
                    Map.of("decision", "deny", "note", "latency " + i), null);
            long answered = System.nanoTime();
            assertEquals(200, denied.status(), denied.body().toString());
            HttpResponse<String> released = held.get(30, TimeUnit.SECONDS);
            long done = System.nanoTime();
            assertEquals(200, released.statusCode(), released.body());
            assertEquals("denied", JSON.readTree(released.body()).path("status").asText());
            if (i >= 0) {
                micros.add((done - sent) / 1000);
                afterAnswer.add(Math.max(0, done - answered) / 1000);
            }
        }
        micros.sort(Long::compare);
        afterAnswer.sort(Long::compare);
        long p50 = percentile(micros, 0.50);
        long p99 = percentile(micros, 0.99);
        System.out.printf("MultiNodeIT: hold on node A released by a decision posted on node B, %d holds (after %d warm-up):"
                + " from sending the decision p50 %.1f ms, p99 %.1f ms, max %.1f ms;"
                + " from the decision's 200 p50 %.1f ms, p99 %.1f ms%n", micros.size(), WARM_UP, p50 / 1000.0, p99 / 1000.0,
                micros.get(micros.size() - 1) / 1000.0, percentile(afterAnswer, 0.50) / 1000.0,
                percentile(afterAnswer, 0.99) / 1000.0);
        // Catches breakage only (a lost wake-up would cost the 20 s re-check); the figure is in docs/benchmarks.md.
        assertTrue(p99 < 2_000_000, "p99 release latency across nodes " + p99 / 1000 + " ms");
    }

    @Test
    @Order(2)
    void theSameApprovalAnsweredOnBothNodesAtOnceCountsOnce() throws Exception {
        // API on node A and API on node B
        JsonNode p = createPayment(nodeA, AGENT, "t-double-api", null).body();
        String approval = p.path("approval").path("id").asText();
        int paymentsBefore = seller.payments().size();
        List<Reply> replies = together(
                () -> send(nodeA, "POST", "/v1/approvals/" + approval, APPROVER, Map.of("decision", "approve"), null),
                () -> send(nodeB, "POST", "/v1/approvals/" + approval, APPROVER, Map.of("decision", "approve"), null));
        List<Integer> statuses = replies.stream().map(Reply::status).sorted().toList();
        assertEquals(List.of(200, 409), statuses, replies.toString());
        JsonNode paid = finalState(nodeB, p.path("id").asText());
        assertEquals("paid", paid.path("status").asText(), paid.toString());
        assertEquals(1, countRows("SELECT count(*) FROM approval_vote WHERE approval_id = ?", approval));
        assertEquals(1, countRows(APPROVAL_LINES, p.path("id").asText()));
        Thread.sleep(1000); // a second payment would have been started by now
        assertEquals(paymentsBefore + 1, seller.payments().size(), "paid exactly once");

        // API on node A and the Slack button on node B
        String task = "t-double-slack";
        JsonNode q = createPayment(nodeA, AGENT, task, null).body();
        String approval2 = q.path("approval").path("id").asText();
        FakeSlack.PostedMessage card = await(() -> slack.messages(CHANNEL).stream()
                .filter(m -> m.blocks() != null && m.blocks().toString().contains(task)).findFirst(), "the Slack card");
        int paymentsBefore2 = seller.payments().size();
        int ephemeralBefore = slack.ephemeralMessages().size();
        List<Reply> both = together(
                () -> send(nodeA, "POST", "/v1/approvals/" + approval2, APPROVER, Map.of("decision", "approve"), null),
                () -> {
                    try {
                        HttpResponse<String> r = slack.clickButton(APPROVER_SLACK_ID, CHANNEL, card.ts(), "approve")
                                .signed(SIGNING_SECRET).post(URI.create(nodeB.baseUrl() + "/slack/interactivity"));
                        return new Reply(r.statusCode(), JSON.readTree(r.body().isBlank() ? "{}" : r.body()));
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
        Reply api = both.get(0);
        assertEquals(200, both.get(1).status(), "Slack always gets 200: " + both.get(1));
        assertTrue(api.status() == 200 || api.status() == 409, api.toString());
        JsonNode paid2 = finalState(nodeB, q.path("id").asText());
        assertEquals("paid", paid2.path("status").asText(), paid2.toString());
        String via = paid2.path("approval").path("decided_via").asText();
        assertEquals(api.status() == 200 ? "api" : "slack", via, "the channel that won is the one that decided");
        if (api.status() == 200) {
            // the click that lost is told so, privately
            await(() -> slack.ephemeralMessages().stream().skip(ephemeralBefore)
                    .filter(m -> m.text() != null && m.text().contains("Already approved")).findFirst(), "the 'already approved' notice");
        }
        assertEquals(1, countRows("SELECT count(*) FROM approval_vote WHERE approval_id = ?", approval2));
        assertEquals(1, countRows(APPROVAL_LINES, q.path("id").asText()));
        Thread.sleep(1000);
        assertEquals(paymentsBefore2 + 1, seller.payments().size(), "paid exactly once");
    }

    @Test
    @Order(3)
    void budgetsHoldAcrossNodes() throws Exception {
        int attempts = 30;
        int piBefore = stripe.paymentIntents().size();
        int tokensBefore = stripe.issuedTokens().size();
        ExecutorService pool = Executors.newFixedThreadPool(attempts);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Reply>> replies = new ArrayList<>();
        for (int i = 0; i < attempts; i++) {
            BrokerProcess node = i % 2 == 0 ? nodeA : nodeB;
            String task = "t-budget-" + i;
            replies.add(pool.submit(() -> {
                go.await();
                return createPayment(node, BUDGET_AGENT, task, null);
            }));
        }
        go.countDown();
        int paid = 0;
        for (Future<Reply> f : replies) {
            Reply r = f.get(120, TimeUnit.SECONDS);
            if ("paid".equals(r.body().path("status").asText())) {
                paid++;
            } else {
                assertTrue(List.of("pending_approval", "denied").contains(r.body().path("status").asText()), r.toString());
            }
        }
        pool.shutdown();
        assertEquals(10, paid, "10.00 a day at 1.00 each");
        assertEquals(0, new BigDecimal("10.00").compareTo(sum(
                "SELECT coalesce(sum(amount), 0) FROM budget_reservation WHERE project = 'budget' AND upper(state) = 'CAPTURED'")));
        assertEquals(0, new BigDecimal("10.00").compareTo(sum(
                "SELECT coalesce(sum(amount), 0) FROM budget_reservation WHERE project = 'budget' AND upper(state) <> 'RELEASED'")));
        assertEquals(10, stripe.paymentIntents().size() - piBefore, "PaymentIntents Stripe saw");
        assertEquals(10, stripe.issuedTokens().size() - tokensBefore, "payment tokens minted");
    }

    @Test
    @Order(4)
    void wakeUpsCrossNodesAgainAfterRabbitMqDropsTheConnections() throws Exception {
        Assumptions.assumeTrue(rabbitmqctl("list_connections", "pid").exitCode() == 0, "rabbitmqctl is not usable here");
        // The broker's own connections only (named after the channels), not other clients of this RabbitMQ.
        List<String> pids = brokerConnections();
        assertTrue(pids.size() >= 2, "each node has its connections: " + pids);
        for (String pid : pids) {
            assertEquals(0, rabbitmqctl("close_connection", pid, "MultiNodeIT: RabbitMQ drops the connection").exitCode());
        }
        // The connector reconnects (every 2 s), declares the node's queue again and binds it to the exchange.
        awaitTrue(() -> {
            List<String> now = brokerConnections();
            return now.size() >= 2 && now.stream().noneMatch(pids::contains);
        }, "new connections from both nodes");
        awaitTrue(() -> rabbitmqctl("list_queues", "name", "consumers").output().lines()
                .filter(l -> l.startsWith("mpp-broker.changes.") && l.endsWith("\t1")).count() >= 2, "both nodes consume again");
        JsonNode p = createPayment(nodeA, AGENT, "t-after-reconnect", null).body();
        double before = metric(nodeA, "broker_holds_active");
        CompletableFuture<HttpResponse<String>> h = hold(nodeA, p.path("id").asText(), 30);
        awaitTrue(() -> metric(nodeA, "broker_holds_active") > before, "the hold on node A");
        long start = System.nanoTime();
        send(nodeB, "POST", "/v1/approvals/" + p.path("approval").path("id").asText(), APPROVER, Map.of("decision", "deny"), null);
        assertEquals("denied", JSON.readTree(h.get(30, TimeUnit.SECONDS).body()).path("status").asText());
        assertTrue(System.nanoTime() - start < Duration.ofSeconds(5).toNanos(), "woken over RabbitMQ, not by the 20 s re-check");
    }

    static List<String> brokerConnections() {
        return rabbitmqctl("list_connections", "pid", "client_properties").output().lines()
                .filter(l -> l.startsWith("<") && (l.contains("changes-in") || l.contains("changes-out")))
                .map(l -> l.substring(0, l.indexOf('>') + 1)).toList();
    }

    record Command(int exitCode, String output) {}

    static Command rabbitmqctl(String... args) {
        List<String> command = new ArrayList<>();
        command.add(System.getProperty("it.rabbitmqctl", "rabbitmqctl"));
        command.addAll(List.of(args));
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return process.waitFor(60, TimeUnit.SECONDS) ? new Command(process.exitValue(), out) : new Command(-1, out);
        } catch (IOException e) {
            return new Command(-1, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Command(-1, e.toString());
        }
    }

    @Test
    @Order(5)
    void agentsHeldOnAKilledNodeReattachToTheOtherAndGetTheirOutcome() throws Exception {
        int n = 5;
        List<JsonNode> parked = new ArrayList<>();
        List<CompletableFuture<HttpResponse<String>>> held = new ArrayList<>();
        double before = metric(nodeA, "broker_holds_active");
        for (int i = 0; i < n; i++) {
            JsonNode p = createPayment(nodeA, AGENT, "t-killed-" + i, null).body();
            assertEquals("pending_approval", p.path("status").asText(), p.toString());
            parked.add(p);
            held.add(hold(nodeA, p.path("id").asText(), 50));
        }
        awaitTrue(() -> metric(nodeA, "broker_holds_active") >= before + n, "all holds registered on node A");
        int paymentsBefore = seller.payments().size();

        nodeA.kill();
        for (CompletableFuture<HttpResponse<String>> h : held) {
            assertTrue(h.handle((r, e) -> e != null).get(30, TimeUnit.SECONDS), "the held call dies with its node");
        }

        // The agents re-attach to node B with their payment ids; the approver answers (on node B: A is gone).
        List<CompletableFuture<HttpResponse<String>>> reattached = new ArrayList<>();
        double beforeB = metric(nodeB, "broker_holds_active");
        for (JsonNode p : parked) {
            reattached.add(hold(nodeB, p.path("id").asText(), 50));
        }
        awaitTrue(() -> metric(nodeB, "broker_holds_active") >= beforeB + n, "all holds re-attached on node B");
        for (JsonNode p : parked) {
            Reply r = send(nodeB, "POST", "/v1/approvals/" + p.path("approval").path("id").asText(), APPROVER,
                    Map.of("decision", "approve", "note", "after the crash"), null);
            assertEquals(200, r.status(), r.body().toString());
        }
        for (int i = 0; i < n; i++) {
            HttpResponse<String> r = reattached.get(i).get(60, TimeUnit.SECONDS);
            JsonNode outcome = JSON.readTree(r.body());
            if (!"paid".equals(outcome.path("status").asText())) {
                outcome = finalState(nodeB, parked.get(i).path("id").asText()); // woken on the "approved" step
            }
            assertEquals("paid", outcome.path("status").asText(), outcome.toString());
            assertEquals("after the crash", outcome.path("decision").path("note").asText());
        }
        Thread.sleep(1000);
        assertEquals(paymentsBefore + n, seller.payments().size(), "each paid exactly once");

        // The audit files had their writer on node A (started first): node B took over, the chain is whole.
        JsonNode verified = awaitJson(() -> send(nodeB, "GET", "/v1/audit/verify", APPROVER, null, null),
                r -> r.status() == 200 && "ok".equals(r.body().path("status").asText()), "audit verify on node B");
        assertTrue(verified.path("lines").asLong() > 0, verified.toString());
        assertTrue(nodeB.outputTail(2000).contains("took the audit-exporter lease"), "node B writes the audit files now");

        // A restarted node joins again and sees decisions made elsewhere.
        nodeA = BrokerProcess.start("cluster-a-restarted", env);
        JsonNode p = createPayment(nodeA, AGENT, "t-rejoined", null).body();
        CompletableFuture<HttpResponse<String>> h = hold(nodeA, p.path("id").asText(), 30);
        awaitTrue(() -> metric(nodeA, "broker_holds_active") >= 1, "the hold on the restarted node");
        send(nodeB, "POST", "/v1/approvals/" + p.path("approval").path("id").asText(), APPROVER, Map.of("decision", "deny"), null);
        long start = System.nanoTime();
        HttpResponse<String> r = h.get(30, TimeUnit.SECONDS);
        assertEquals("denied", JSON.readTree(r.body()).path("status").asText());
        assertTrue(System.nanoTime() - start < Duration.ofSeconds(5).toNanos(), "woken over RabbitMQ, not by the re-check");
    }

    // ---- helpers ----

    record Reply(int status, JsonNode body) {}

    static Reply createPayment(BrokerProcess node, String token, String task, String prefer) {
        return send(node, "POST", "/v1/payments", token,
                Map.of("task", task, "request", Map.of("method", "GET", "url", seller.baseUrl() + "/item")), prefer);
    }

    static CompletableFuture<HttpResponse<String>> hold(BrokerProcess node, String paymentId, int seconds) {
        return http.sendAsync(HttpRequest.newBuilder(URI.create(node.baseUrl() + "/v1/payments/" + paymentId + "?wait=" + seconds))
                .timeout(Duration.ofSeconds(seconds + 30)).header("Authorization", "Bearer " + AGENT).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** The payment once final (asking again while the broker is still paying after an approval). */
    static JsonNode finalState(BrokerProcess node, String paymentId) throws Exception {
        return awaitJson(() -> send(node, "GET", "/v1/payments/" + paymentId + "?wait=10", AGENT, null, null),
                r -> r.status() == 200, "payment " + paymentId + " final");
    }

    static Reply send(BrokerProcess node, String method, String path, String token, Object body, String prefer) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(node.baseUrl() + path))
                    .timeout(Duration.ofSeconds(90))
                    .header("Authorization", "Bearer " + token)
                    .header("Content-Type", "application/json")
                    .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
            if (prefer != null) b.header("Prefer", prefer);
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            return new Reply(r.statusCode(), JSON.readTree(r.body().isEmpty() ? "{}" : r.body()));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Runs both calls released at the same instant; replies in call order. */
    @SafeVarargs
    static List<Reply> together(Supplier<Reply>... calls) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(calls.length);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Reply>> futures = new ArrayList<>();
        for (Supplier<Reply> call : calls) {
            futures.add(pool.submit(() -> {
                go.await();
                return call.get();
            }));
        }
        go.countDown();
        List<Reply> replies = new ArrayList<>();
        for (Future<Reply> f : futures) {
            replies.add(f.get(60, TimeUnit.SECONDS));
        }
        pool.shutdown();
        return replies;
    }

    static double metric(BrokerProcess node, String name) {
        try {
            String text = http.send(HttpRequest.newBuilder(URI.create(node.baseUrl() + "/q/metrics")).GET().build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            Matcher m = Pattern.compile("(?m)^" + name + "(\\{[^}]*\\})? ([0-9.eE+-]+)$").matcher(text);
            double sum = 0;
            while (m.find()) {
                sum += Double.parseDouble(m.group(2));
            }
            return sum;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static long percentile(List<Long> sorted, double p) {
        return sorted.get(Math.max(0, (int) Math.ceil(sorted.size() * p) - 1));
    }

    /** A payment's approval lines, sealed into the chain or still waiting for the sealer (a line is in one or the other). */
    static final String APPROVAL_LINES = """
            WITH p(id) AS (SELECT CAST(? AS text))
            SELECT (SELECT count(*) FROM audit_event, p WHERE payment_id = p.id AND event = 'approval')
                 + (SELECT count(*) FROM audit_pending, p WHERE line ->> 'payment_id' = p.id AND line ->> 'event' = 'approval')""";

    static long countRows(String sql, String param) throws Exception {
        try (Connection c = DriverManager.getConnection(PG + database, PG_USER, PG_PASSWORD);
             PreparedStatement st = c.prepareStatement(sql)) {
            st.setString(1, param);
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    static BigDecimal sum(String sql) throws Exception {
        try (Connection c = DriverManager.getConnection(PG + database, PG_USER, PG_PASSWORD);
             ResultSet rs = c.createStatement().executeQuery(sql)) {
            rs.next();
            return rs.getBigDecimal(1);
        }
    }

    static void awaitTrue(Supplier<Boolean> probe, String what) throws InterruptedException {
        await(() -> probe.get() ? Optional.of(true) : Optional.empty(), what);
    }

    static JsonNode awaitJson(Supplier<Reply> call, java.util.function.Predicate<Reply> done, String what) throws InterruptedException {
        Reply[] last = new Reply[1];
        try {
            return await(() -> {
                last[0] = call.get();
                return done.test(last[0]) ? Optional.of(last[0].body()) : Optional.empty();
            }, what);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; last reply " + last[0], e);
        }
    }
}
