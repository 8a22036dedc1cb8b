package io.mppbroker.it;

import static io.mppbroker.it.ItSupport.PG;
import static io.mppbroker.it.ItSupport.PG_USER;
import static io.mppbroker.it.ItSupport.PG_PASSWORD;
import static io.mppbroker.it.ItSupport.createDatabase;
import static io.mppbroker.it.ItSupport.sha256;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mppbroker.testkit.BrokerProcess;
import io.mppbroker.testkit.FakeStripe;
import io.mppbroker.testkit.MppTestSeller;
import io.mppbroker.testkit.MppxSeller;
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
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Black-box: the packaged broker as a real process, on its own fresh PostgreSQL database, paying a seller
 * written here, the real mppx seller from npm, and a fake Stripe that both sellers and the broker call.
 */
class PayingPathIT {

    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    static FakeStripe stripe;
    static MppTestSeller seller;
    static MppxSeller mppx;
    static BrokerProcess broker;
    static String database;
    static Path dataDir;
    static Path auditFile;

    @BeforeAll
    static void start() throws Exception {
        stripe = FakeStripe.start();
        seller = MppTestSeller.builder(stripe.baseUrl()).stripeSecretKey("sk_test_it_seller").start();
        seller.price("GET", "/report", "500", "usd");
        seller.price("GET", "/dataset", "5000", "usd");
        seller.price("GET", "/vip", "150000", "usd");
        seller.price("GET", "/unit", "100", "usd");
        seller.price("GET", "/drifting", "500", "usd");
        mppx = MppxSeller.start(stripe.baseUrl());

        database = createDatabase("mpp_it");
        Path budgets = Files.createTempDirectory("it-budgets");
        Files.writeString(budgets.resolve("research.yaml"), policy("research", "research-agent", "it-agent-token",
                "fin-approver", "it-approver-token", "\"100.00\"", "\"300.00\"", "\"2000.00\"", 1000));
        Files.writeString(budgets.resolve("burst.yaml"), policy("burst", "burst-agent", "it-burst-token",
                "burst-approver", "it-burst-approver-token", "null", "\"50.00\"", "null", 1000));
        dataDir = Files.createTempDirectory("it-data");
        auditFile = budgets.resolve("audit.jsonl");
        broker = BrokerProcess.start(Map.of(
                "QUARKUS_DATASOURCE_JDBC_URL", PG + database,
                "QUARKUS_DATASOURCE_USERNAME", PG_USER,
                "QUARKUS_DATASOURCE_PASSWORD", PG_PASSWORD,
                "BROKER_BUDGETS_DIR", budgets.toString(),
                "BROKER_STRIPE_API_BASE", stripe.baseUrl(),
                "BROKER_STRIPE_SECRET_KEY", "sk_test_it_broker",
                "BROKER_SELLERS_INSECURE_HOSTS", "127.0.0.1,localhost",
                "BROKER_AUDIT_FILE", auditFile.toString(),
                "BROKER_DATA_DIR", dataDir.toString()));
    }

    @AfterAll
    static void stop() throws Exception {
        if (broker != null) broker.close();
        if (mppx != null) mppx.close();
        if (seller != null) seller.close();
        if (stripe != null) stripe.close();
    }

    static String policy(String project, String agent, String agentToken, String approver, String approverToken,
                         String perTask, String perDay, String perMonth, int recurring) {
        return """
                project: %s
                currency: usd
                agents:
                  - id: %s
                    token_sha256: "%s"
                payment:
                  stripe_payment_method: pm_card_visa
                budgets:
                  per_task: %s
                  per_day: %s
                  per_month: %s
                tiers:
                  auto_below: "10.00"
                  explicit_above: "250.00"
                  ceiling: "1000.00"
                sellers:
                  default: allow
                recurring:
                  min_occurrences: %d
                  window: 7d
                approvers:
                  - id: %s
                    token_sha256: "%s"
                """.formatted(project, agent, sha256(agentToken), perTask, perDay, perMonth, recurring, approver,
                sha256(approverToken)).replace("  per_task: null\n", "").replace("  per_month: null\n", "");
    }

    @Test
    void paysTheSellerWrittenHereAutomatically() throws Exception {
        Reply r = pay("it-agent-token", seller.baseUrl() + "/report", "t-auto", null);
        assertEquals(200, r.status(), r.body().toString());
        assertEquals("paid", r.body().path("status").asText());
        assertEquals("auto", r.body().path("decision").path("tier").asText());
        String pi = r.body().path("receipt").path("reference").asText();
        assertTrue(stripe.paymentIntents().stream().anyMatch(p -> p.id().equals(pi) && p.status().equals("succeeded")));
    }

    @Test
    void paysTheRealMppxSellerAutomatically() throws Exception {
        Reply r = pay("it-agent-token", mppx.baseUrl() + "/paid/report", "t-mppx", null);
        assertEquals(200, r.status(), r.body().toString());
        assertEquals("paid", r.body().path("status").asText());
        String pi = r.body().path("receipt").path("reference").asText();
        assertTrue(pi.startsWith("pi_"), pi);
        assertTrue(stripe.paymentIntents().stream().anyMatch(p -> p.id().equals(pi) && p.status().equals("succeeded")));
    }

    @Test
    void deniesAboveTheCeiling() throws Exception {
        Reply r = pay("it-agent-token", seller.baseUrl() + "/vip", "t-deny", null);
        assertEquals(403, r.status());
        assertEquals("tiers.ceiling", r.body().path("rule").asText());
        assertTrue(r.body().path("detail").asText().contains("1500.00"), r.body().toString());
    }

    @Test
    void askThenApproveThenPaysAFreshChallenge() throws Exception {
        Reply pending = pay("it-agent-token", seller.baseUrl() + "/dataset", "t-ask", null);
        assertEquals(202, pending.status(), pending.body().toString());
        String id = pending.body().path("id").asText();
        String approval = pending.body().path("approval").path("id").asText();
        Reply decided = post("/v1/approvals/" + approval, "it-approver-token",
                Map.of("decision", "approve", "note", "fine"), null);
        assertEquals(200, decided.status(), decided.body().toString());
        Reply done = get("/v1/payments/" + id + "?wait=30", "it-agent-token");
        assertEquals("paid", done.body().path("status").asText(), done.body().toString());
        assertEquals("fin-approver", done.body().path("decision").path("approved_by").asText());
        assertEquals("human", done.body().path("decision").path("basis").asText());
    }

    @Test
    void refusesASellerThatChangesTheAmountOnRetry() throws Exception {
        seller.changeAmountAfterChallenge("/drifting", "800");
        Reply r = pay("it-agent-token", seller.baseUrl() + "/drifting", "t-drift", null);
        assertEquals(502, r.status(), r.body().toString());
        assertEquals("failed", r.body().path("status").asText());
    }

    @Test
    void aRetriedRequestWithTheSameIdempotencyKeyPaysOnce() throws Exception {
        String key = UUID.randomUUID().toString();
        int mints = stripe.mintCalls();
        Reply first = pay("it-agent-token", seller.baseUrl() + "/report", "t-idem", key);
        Reply second = pay("it-agent-token", seller.baseUrl() + "/report", "t-idem", key);
        assertEquals(200, first.status());
        assertEquals(200, second.status());
        assertEquals(first.body().path("id").asText(), second.body().path("id").asText());
        assertEquals(first.body().path("receipt").path("reference").asText(), second.body().path("receipt").path("reference").asText());
        assertEquals(mints + 1, stripe.mintCalls());
    }

    /** 200 concurrent 1.00 payments against a 50.00 daily budget: exactly 50 are paid, the rest ask a human. */
    @Test
    void concurrentPaymentsCannotOverspendTheBudget() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(50);
        List<Future<Reply>> replies = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            int n = i;
            replies.add(pool.submit(() -> pay("it-burst-token", seller.baseUrl() + "/unit", "t-burst-" + n, null)));
        }
        int paid = 0;
        int pending = 0;
        List<String> other = new ArrayList<>();
        for (Future<Reply> f : replies) {
            Reply r = f.get();
            String status = r.body().path("status").asText();
            if (r.status() == 200 && status.equals("paid")) paid++;
            else if (r.status() == 202 && status.equals("pending_approval")
                    && r.body().path("approval").path("tier").asText().equals("over_budget")) pending++;
            else other.add(r.status() + " " + r.body());
        }
        pool.shutdown();
        assertEquals(List.of(), other);
        assertEquals(50, paid);
        assertEquals(150, pending);
        try (Connection c = DriverManager.getConnection(PG + database, PG_USER, PG_PASSWORD);
             ResultSet rs = c.createStatement().executeQuery(
                     "SELECT sum(amount) FROM budget_reservation WHERE project = 'burst' AND state = 'CAPTURED'")) {
            rs.next();
            assertEquals(0, new BigDecimal("50.00").compareTo(rs.getBigDecimal(1)));
        }
        String sellerAccount = FakeStripe.accountOf("sk_test_it_seller");
        long intents = stripe.paymentIntents().stream()
                .filter(p -> p.account().equals(sellerAccount) && p.amount() == 100 && p.status().equals("succeeded")).count();
        assertEquals(50, intents);

        // The audit chain stayed one gapless, signed chain that the file and the database agree on.
        Reply verified = get("/v1/audit/verify", "it-burst-approver-token");
        assertEquals(200, verified.status(), verified.body().toString());
        assertEquals("ok", verified.body().path("status").asText(), verified.body().toString());
        // paid: request, challenge_received, decision, spt_minted, paid; parked: request, challenge_received, decision
        assertTrue(verified.body().path("lines").asLong() >= 50 * 5 + 150 * 3, verified.body().toString());
        Process cli = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                System.getProperty("broker.jar", "target/quarkus-app/quarkus-run.jar"), "audit", "verify", auditFile.toString(),
                "--public-key", dataDir.resolve("keys").resolve("audit-signing-key.pub.pem").toString())
                .redirectErrorStream(true).start();
        String output = new String(cli.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, cli.waitFor(), output);
        assertTrue(output.startsWith("OK: "), output);
    }

    @Test
    void paysTheRealMppxSellerThatAsksForTheCredentialInAnotherHeader() throws Exception {
        Reply r = pay("it-agent-token", mppx.baseUrl() + "/paid/auth-header", "t-mppx-header", null);
        assertEquals(200, r.status(), r.body().toString());
        assertEquals("paid", r.body().path("status").asText());
        assertTrue(r.body().path("receipt").path("reference").asText().startsWith("pi_"));
    }

    @Test
    void paysARealMppxPostWithItsBody() throws Exception {
        Reply r = post("/v1/payments", "it-agent-token", Map.of("task", "t-mppx-post", "purpose", "echo",
                "request", Map.of("method", "POST", "url", mppx.baseUrl() + "/paid/echo",
                        "headers", Map.of("Content-Type", "application/json"), "body", "{\"hello\":\"mppx\"}")), null);
        assertEquals(200, r.status(), r.body().toString());
        assertTrue(r.body().path("response").path("body").asText().contains("mppx"), r.body().toString());
    }

    @Test
    void theBrokerNeverLogsTokensKeysOrCredentials() throws Exception {
        pay("it-agent-token", seller.baseUrl() + "/report", "t-logs", null);
        String log = Files.readString(broker.logFile());
        assertTrue(!log.contains("sk_test_it_broker"), "Stripe key in the log");
        assertTrue(!log.contains("it-agent-token") && !log.contains("it-approver-token"), "bearer token in the log");
        assertTrue(!log.contains("Payment eyJ"), "payment credential in the log");
        for (FakeStripe.IssuedToken token : stripe.issuedTokens()) {
            assertTrue(!log.contains(token.id()), "SPT in the log");
        }
    }

    @Test
    void everyAuditLineCarriesTheFieldsFinanceReads() throws Exception {
        Reply r = pay("it-agent-token", seller.baseUrl() + "/report", "t-audit-fields", null);
        String paymentId = r.body().path("id").asText();
        List<String> keys = List.of("ts", "agent", "project", "task", "action", "resource", "decision", "reason", "amount",
                "currency", "payment_id", "decision_id", "approved_by", "receipt_reference", "http_status");
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        List<JsonNode> lines;
        do {
            lines = Files.readAllLines(auditFile).stream().map(PayingPathIT::readJson)
                    .filter(l -> paymentId.equals(l.path("payment_id").asText())).toList();
        } while (lines.stream().noneMatch(l -> "paid".equals(l.path("event").asText())) && System.nanoTime() < deadline);
        assertTrue(lines.size() >= 5, lines.toString());
        for (JsonNode line : lines) {
            for (String key : keys) {
                assertTrue(line.has(key), key + " missing in " + line);
            }
            assertEquals("mpp:pay", line.path("action").asText());
        }
        JsonNode paid = lines.stream().filter(l -> "paid".equals(l.path("event").asText())).findFirst().orElseThrow();
        assertEquals(r.body().path("receipt").path("reference").asText(), paid.path("receipt_reference").asText());
        assertEquals(r.body().path("decision").path("id").asText(), paid.path("decision_id").asText());
    }

    static JsonNode readJson(String line) {
        try {
            return JSON.readTree(line);
        } catch (IOException e) {
            throw new IllegalStateException("audit line is not JSON: " + line, e);
        }
    }

    @Test
    void theJarBacktestsACandidatePolicyAgainstWhatThisBrokerRecorded() throws Exception {
        Reply auto = pay("it-agent-token", seller.baseUrl() + "/report", "t-backtest-auto", null);    // 5.00: auto
        Reply ask = pay("it-agent-token", seller.baseUrl() + "/dataset", "t-backtest-ask", null);     // 50.00: ask
        assertEquals(200, auto.status(), auto.body().toString());
        assertEquals(202, ask.status(), ask.body().toString());
        Path candidate = Files.createTempDirectory("it-candidate").resolve("research.candidate.yaml");
        Files.writeString(candidate, policy("research", "research-agent", "it-agent-token", "fin-approver", "it-approver-token",
                "\"100.00\"", "\"300.00\"", "\"2000.00\"", 1000).replace("auto_below: \"10.00\"", "auto_below: \"60.00\""));

        ProcessBuilder backtest = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                System.getProperty("broker.jar", "target/quarkus-app/quarkus-run.jar"), "policy", "backtest", candidate.toString(),
                "--since", "1h", "--format", "json", "--jdbc-url", PG + database, "--username", PG_USER);
        backtest.environment().put("QUARKUS_DATASOURCE_PASSWORD", PG_PASSWORD);
        Process cli = backtest.start();
        String output = new String(cli.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String errors = new String(cli.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, cli.waitFor(), output + errors);

        JsonNode report = JSON.readTree(output);
        assertEquals("research", report.path("project").asText());
        String askId = ask.body().path("id").asText();
        List<JsonNode> mine = new ArrayList<>();
        report.path("changes").forEach(c -> {
            if (c.path("payment_id").asText().equals(askId)) mine.add(c);
        });
        assertEquals(1, mine.size(), output);
        assertEquals("ask", mine.get(0).path("recorded").path("tier").asText());
        assertEquals("auto", mine.get(0).path("candidate").path("tier").asText());
        assertEquals("50.00", mine.get(0).path("amount").asText());
        report.path("changes").forEach(c -> assertTrue(!c.path("payment_id").asText().equals(auto.body().path("id").asText()),
                "the 5.00 payment is automatic under both policies: " + c));
        assertTrue(report.path("newly_auto_approved").path("count").asInt() >= 1, output);
    }

    // ---- HTTP helpers ----

    record Reply(int status, JsonNode body) {}

    static Reply pay(String token, String url, String task, String idempotencyKey) throws IOException, InterruptedException {
        return post("/v1/payments", token, Map.of("task", task, "purpose", "integration test",
                "request", Map.of("method", "GET", "url", url)), idempotencyKey);
    }

    static Reply post(String path, String token, Object body, String idempotencyKey) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(broker.baseUrl() + path))
                .timeout(Duration.ofSeconds(90))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
        if (idempotencyKey != null) b.header("Idempotency-Key", idempotencyKey);
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), JSON.readTree(r.body().isEmpty() ? "{}" : r.body()));
    }

    static Reply get(String path, String token) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(broker.baseUrl() + path))
                .timeout(Duration.ofSeconds(90)).header("Authorization", "Bearer " + token).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), JSON.readTree(r.body()));
    }
}
