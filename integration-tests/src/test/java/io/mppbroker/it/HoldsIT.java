package io.mppbroker.it;

import static io.mppbroker.it.ItSupport.PG;
import static io.mppbroker.it.ItSupport.createDatabase;
import static io.mppbroker.it.ItSupport.sha256;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mppbroker.testkit.BrokerProcess;
import io.mppbroker.testkit.FakeStripe;
import io.mppbroker.testkit.MppTestSeller;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Held requests against the packaged broker: 2,000 agents wait at once without a thread each, every one is
 * woken by its decision; and a hold survives a broker restart.
 */
class HoldsIT {

    static final ObjectMapper JSON = new ObjectMapper();
    static final int HOLDS = 2000;

    static FakeStripe stripe;
    static MppTestSeller seller;
    static BrokerProcess broker;
    static Map<String, String> env;
    static HttpClient http;

    @BeforeAll
    static void start() throws Exception {
        stripe = FakeStripe.start();
        seller = MppTestSeller.builder(stripe.baseUrl()).stripeSecretKey("sk_test_holds_seller").start();
        seller.price("GET", "/item", "100", "usd");
        String database = createDatabase("mpp_it_holds");
        Path budgets = Files.createTempDirectory("holds-budgets");
        Files.writeString(budgets.resolve("holds.yaml"), """
                project: holds
                currency: usd
                agents:
                  - id: holds-agent
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
                  - id: holds-approver
                    token_sha256: "%s"
                routing:
                  ask:
                    routes:
                      - approvers: [holds-approver]
                        timeout: 1h
                """.formatted(sha256("holds-agent-token"), sha256("holds-approver-token")));
        env = Map.of(
                "QUARKUS_DATASOURCE_JDBC_URL", PG + database,
                "QUARKUS_DATASOURCE_USERNAME", "postgres",
                "QUARKUS_DATASOURCE_PASSWORD", "postgres",
                "BROKER_BUDGETS_DIR", budgets.toString(),
                "BROKER_STRIPE_API_BASE", stripe.baseUrl(),
                "BROKER_STRIPE_SECRET_KEY", "sk_test_holds_broker",
                "BROKER_SELLERS_INSECURE_HOSTS", "127.0.0.1,localhost",
                "BROKER_AUDIT_FILE", budgets.resolve("audit.jsonl").toString());
        broker = BrokerProcess.start("holds", env);
        http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
                .executor(Executors.newFixedThreadPool(8)).build();
    }

    @AfterAll
    static void stop() {
        if (broker != null) broker.close();
        if (seller != null) seller.close();
        if (stripe != null) stripe.close();
    }

    @Test
    void twoThousandHeldRequestsCostNoThreadAndAreAllWokenByTheirDecision() throws Exception {
        // Park 2,000 payments for a human.
        ExecutorService pool = Executors.newFixedThreadPool(32);
        List<Future<JsonNode>> created = new ArrayList<>();
        for (int i = 0; i < HOLDS; i++) {
            created.add(pool.submit(() -> send("POST", "/v1/payments", "holds-agent-token", Map.of("task", "t-" + UUID.randomUUID(),
                    "request", Map.of("method", "GET", "url", seller.baseUrl() + "/item")))));
        }
        List<String[]> parked = new ArrayList<>();
        for (Future<JsonNode> f : created) {
            JsonNode p = f.get(120, TimeUnit.SECONDS);
            assertEquals("pending_approval", p.path("status").asText(), p.toString());
            parked.add(new String[] {p.path("id").asText(), p.path("approval").path("id").asText()});
        }

        // Every agent waits for its decision at once.
        List<CompletableFuture<HttpResponse<String>>> holds = new ArrayList<>();
        for (String[] p : parked) {
            holds.add(http.sendAsync(HttpRequest.newBuilder(URI.create(broker.baseUrl() + "/v1/payments/" + p[0] + "?wait=120"))
                    .timeout(Duration.ofSeconds(150)).header("Authorization", "Bearer holds-agent-token").GET().build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        double active;
        do {
            Thread.sleep(500);
            active = metric("broker_holds_active");
        } while (active < HOLDS && System.nanoTime() < deadline);
        assertTrue(active >= HOLDS, "held requests registered: " + active);
        double threads = metric("jvm_threads_live_threads");
        assertTrue(threads < 300, "a held request must not cost a thread: " + threads + " live threads for " + HOLDS + " holds");

        // Decide them all; each held request returns with its decision long before its wait ends.
        long decideStart = System.nanoTime();
        List<Future<JsonNode>> denials = new ArrayList<>();
        for (String[] p : parked) {
            denials.add(pool.submit(() -> send("POST", "/v1/approvals/" + p[1], "holds-approver-token",
                    Map.of("decision", "deny", "note", "load test"))));
        }
        for (Future<JsonNode> f : denials) {
            f.get(120, TimeUnit.SECONDS);
        }
        for (CompletableFuture<HttpResponse<String>> hold : holds) {
            HttpResponse<String> r = hold.get(60, TimeUnit.SECONDS);
            assertEquals(200, r.statusCode(), r.body());
            assertEquals("denied", JSON.readTree(r.body()).path("status").asText());
        }
        assertTrue(System.nanoTime() - decideStart < Duration.ofSeconds(110).toNanos(), "woken, not timed out");
        pool.shutdown();
    }

    @Test
    void aHoldSurvivesABrokerRestart() throws Exception {
        JsonNode p = send("POST", "/v1/payments", "holds-agent-token", Map.of("task", "t-restart",
                "request", Map.of("method", "GET", "url", seller.baseUrl() + "/item")));
        String id = p.path("id").asText();
        CompletableFuture<HttpResponse<String>> held = http.sendAsync(HttpRequest.newBuilder(
                        URI.create(broker.baseUrl() + "/v1/payments/" + id + "?wait=60"))
                .header("Authorization", "Bearer holds-agent-token").GET().build(), HttpResponse.BodyHandlers.ofString());
        Thread.sleep(500);
        broker.close();
        assertTrue(held.handle((r, e) -> e != null || r.statusCode() != 200).get(30, TimeUnit.SECONDS),
                "the held call ends with the broker");
        broker = BrokerProcess.start("holds-restarted", env);
        // The agent re-attaches with its payment id; the human answers on the new process.
        CompletableFuture<HttpResponse<String>> reattached = http.sendAsync(HttpRequest.newBuilder(
                        URI.create(broker.baseUrl() + "/v1/payments/" + id + "?wait=60"))
                .header("Authorization", "Bearer holds-agent-token").GET().build(), HttpResponse.BodyHandlers.ofString());
        Thread.sleep(300);
        send("POST", "/v1/approvals/" + p.path("approval").path("id").asText(), "holds-approver-token",
                Map.of("decision", "approve", "note", "after restart"));
        HttpResponse<String> r = reattached.get(60, TimeUnit.SECONDS);
        JsonNode outcome = JSON.readTree(r.body());
        if (!"paid".equals(outcome.path("status").asText())) {
            // The wake-up may land on the approved step; ask once more for the final state.
            outcome = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create(broker.baseUrl() + "/v1/payments/" + id + "?wait=30"))
                    .header("Authorization", "Bearer holds-agent-token").GET().build(), HttpResponse.BodyHandlers.ofString()).body());
        }
        assertEquals("paid", outcome.path("status").asText(), outcome.toString());
        assertEquals("after restart", outcome.path("decision").path("note").asText());
    }

    static JsonNode send(String method, String path, String token, Object body) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(broker.baseUrl() + path))
                .timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build(),
                HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(r.body());
    }

    static double metric(String name) throws Exception {
        String text = http.send(HttpRequest.newBuilder(URI.create(broker.baseUrl() + "/q/metrics")).GET().build(),
                HttpResponse.BodyHandlers.ofString()).body();
        Matcher m = Pattern.compile("(?m)^" + name + "(\\{[^}]*\\})? ([0-9.eE+-]+)$").matcher(text);
        double sum = 0;
        boolean found = false;
        while (m.find()) {
            sum += Double.parseDouble(m.group(2));
            found = true;
        }
        assertTrue(found, name + " not in /q/metrics");
        return sum;
    }
}
