package io.mppbroker.it;

import static io.mppbroker.it.ItSupport.PG;
import static io.mppbroker.it.ItSupport.PG_USER;
import static io.mppbroker.it.ItSupport.PG_PASSWORD;
import static io.mppbroker.it.ItSupport.createDatabase;
import static io.mppbroker.it.ItSupport.sha256;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import at.favre.lib.crypto.bcrypt.BCrypt;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mppbroker.testkit.BrokerProcess;
import io.mppbroker.testkit.FakeStripe;
import io.mppbroker.testkit.MppTestSeller;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The dashboard in a real browser: the packaged broker with a test policy and a dashboard account, two payments
 * parked for a human (seller written here, fake Stripe), then {@code integration-tests/dashboard-e2e/dashboard.e2e.mjs}
 * drives Debian's Chromium through playwright-core: login, the card with its amount and risk flag, Approve, the live
 * list turning to approved and paid without a reload, and an answer that lost the race to the HTTP API.
 * Screenshots stay in {@code target/e2e-screenshots/}. Chromium missing is a failure, never a skip.
 */
class DashboardE2EIT {

    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    static final Path CHROMIUM = Path.of(System.getProperty("dashboard.e2e.chromium", "/usr/bin/chromium"));
    static final Duration SCRIPT_TIMEOUT = Duration.ofMinutes(4);

    static final String AGENT_TOKEN = "e2e-agent-token";
    static final String APPROVER = "e2e-approver";
    static final String APPROVER_PASSWORD = "e2e approver password";
    static final String RACER_TOKEN = "e2e-racer-token";

    static Path projectDir;
    static FakeStripe stripe;
    static MppTestSeller seller;
    static BrokerProcess broker;

    @BeforeAll
    static void start() throws Exception {
        projectDir = Path.of(System.getProperty("broker.project.dir", "")).toAbsolutePath();
        if (!Files.isExecutable(CHROMIUM)) {
            fail("Chromium is missing at " + CHROMIUM + ": install Debian's package (apt-get update && apt-get install -y "
                    + "chromium; .ci/run does) or point -Ddashboard.e2e.chromium at it. The dashboard end-to-end test "
                    + "cannot run without it.");
        }
        npmCi(projectDir.resolve("integration-tests/dashboard-e2e"));

        stripe = FakeStripe.start();
        seller = MppTestSeller.builder(stripe.baseUrl()).stripeSecretKey("sk_test_e2e_seller").start();
        seller.price("GET", "/report", "4250", "usd");   // 42.50: a human decides
        seller.price("GET", "/dataset", "1800", "usd");  // 18.00

        String database = createDatabase("mpp_e2e");
        Path dir = Files.createTempDirectory("dashboard-e2e");
        Path budgets = Files.createDirectories(dir.resolve("budgets"));
        Files.writeString(budgets.resolve("e2e.yaml"), """
                project: e2e
                currency: usd
                agents:
                  - id: e2e-agent
                    token_sha256: "%s"
                payment:
                  stripe_payment_method: pm_card_visa
                budgets:
                  per_task: "100.00"
                  per_day: "500.00"
                tiers:
                  auto_below: "10.00"
                  explicit_above: "250.00"
                  ceiling: "1000.00"
                sellers:
                  default: allow
                approvers:
                  - id: %s
                    token_sha256: "%s"
                  - id: e2e-racer
                    token_sha256: "%s"
                routing:
                  ask:
                    routes:   # Slack is not reachable from the test: the dashboard still decides
                      - approvers: [%s, e2e-racer]
                        slack: { channel: C0E2EASK }
                        timeout: 1h
                """.formatted(sha256(AGENT_TOKEN), APPROVER, sha256("e2e-approver-token"), sha256(RACER_TOKEN), APPROVER));
        Path accounts = dir.resolve("dashboard.htpasswd");
        Files.writeString(accounts, APPROVER + ":" + BCrypt.with(BCrypt.Version.VERSION_2Y)
                .hashToString(10, APPROVER_PASSWORD.toCharArray()) + "\n");
        broker = BrokerProcess.start("dashboard-e2e-broker", Map.ofEntries(
                Map.entry("QUARKUS_DATASOURCE_JDBC_URL", PG + database),
                Map.entry("QUARKUS_DATASOURCE_USERNAME", PG_USER),
                Map.entry("QUARKUS_DATASOURCE_PASSWORD", PG_PASSWORD),
                Map.entry("BROKER_DATA_DIR", dir.resolve("data").toString()),
                Map.entry("BROKER_BUDGETS_DIR", budgets.toString()),
                Map.entry("BROKER_DASHBOARD_ACCOUNTS_FILE", accounts.toString()),
                Map.entry("BROKER_STRIPE_API_BASE", stripe.baseUrl()),
                Map.entry("BROKER_STRIPE_SECRET_KEY", "sk_test_e2e_broker"),
                Map.entry("BROKER_SELLERS_INSECURE_HOSTS", "127.0.0.1,localhost"),
                Map.entry("BROKER_AUDIT_FILE", dir.resolve("audit.jsonl").toString())));
    }

    @AfterAll
    static void stop() {
        if (broker != null) broker.close();
        if (seller != null) seller.close();
        if (stripe != null) stripe.close();
    }

    @Test
    void anApproverDecidesInTheBrowserAndWatchesTheListUpdateLive() throws Exception {
        JsonNode first = park("/report", "t-e2e-report");
        JsonNode second = park("/dataset", "t-e2e-dataset");
        Path shots = projectDir.resolve("target/e2e-screenshots");
        deleteScreenshots(shots);

        Path log = projectDir.resolve("target/it-logs/dashboard-e2e-browser.log");
        Files.createDirectories(log.getParent());
        ProcessBuilder pb = new ProcessBuilder("node", "dashboard.e2e.mjs")
                .directory(projectDir.resolve("integration-tests/dashboard-e2e").toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(Map.of(
                "BROKER_URL", broker.baseUrl(),
                "CHROMIUM", CHROMIUM.toString(),
                "SCREENSHOT_DIR", shots.toString(),
                "APPROVER_ID", APPROVER,
                "APPROVER_PASSWORD", APPROVER_PASSWORD,
                "APPROVAL_ID", first.path("approval").path("id").asText(),
                "AMOUNT", "42.50",
                "RACE_APPROVAL_ID", second.path("approval").path("id").asText(),
                "RACE_TOKEN", RACER_TOKEN));
        Process browser = pb.start();
        if (!browser.waitFor(SCRIPT_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
            browser.descendants().forEach(ProcessHandle::destroyForcibly);
            browser.destroyForcibly();
            fail("the browser script did not finish within " + SCRIPT_TIMEOUT + ":\n" + Files.readString(log));
        }
        String output = Files.readString(log);
        assertEquals(0, browser.exitValue(), "browser script failed:\n" + output + "\nbroker:\n" + broker.outputTail(40));
        assertTrue(output.contains("ok - Approve updates the live list to approved and paid without a reload"), output);

        // What the browser did is what the broker recorded.
        JsonNode paid = get("/v1/payments/" + first.path("id").asText());
        assertEquals("paid", paid.path("status").asText(), paid.toString());
        assertEquals(APPROVER, paid.path("decision").path("approved_by").asText());
        assertEquals("dashboard", paid.path("approval").path("decided_via").asText());
        assertEquals("approved in the e2e test", paid.path("decision").path("note").asText());
        JsonNode raced = get("/v1/payments/" + second.path("id").asText());
        assertEquals("denied", raced.path("status").asText(), raced.toString());
        assertEquals("e2e-racer", raced.path("approval").path("decided_by").asText());
        assertEquals("api", raced.path("approval").path("decided_via").asText());

        for (String name : List.of("01-login", "02-login-refused", "03-pending", "04-approved-and-paid",
                "05-live-sessions", "06-already-decided", "07-live-after-race")) {
            Path png = shots.resolve(name + ".png");
            assertTrue(Files.isRegularFile(png) && Files.size(png) > 5_000, "screenshot missing or empty: " + png);
        }
    }

    // ---- helpers ----------------------------------------------------------------------------------------

    static JsonNode park(String path, String task) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(broker.baseUrl() + "/v1/payments"))
                .timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + AGENT_TOKEN).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(Map.of("task", task,
                        "purpose", "quarterly figures for the e2e test",
                        "request", Map.of("method", "GET", "url", seller.baseUrl() + path)))))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(202, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }

    static JsonNode get(String path) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(broker.baseUrl() + path + "?wait=20"))
                .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + AGENT_TOKEN).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(r.body());
    }

    /** Installs playwright-core from the committed lock file when it is not there yet. */
    static void npmCi(Path dir) throws IOException, InterruptedException {
        if (Files.isDirectory(dir.resolve("node_modules/playwright-core"))) {
            return;
        }
        Path log = projectDir.resolve("target/it-logs/dashboard-e2e-npm-ci.log");
        Files.createDirectories(log.getParent());
        Process npm;
        try {
            npm = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund").directory(dir.toFile())
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        } catch (IOException e) {
            throw new IllegalStateException("npm is missing: the dashboard end-to-end test needs Node.js 20+ and npm", e);
        }
        if (!npm.waitFor(5, TimeUnit.MINUTES) || npm.exitValue() != 0) {
            npm.destroyForcibly();
            fail("npm ci failed in " + dir + ":\n" + Files.readString(log));
        }
    }

    static void deleteScreenshots(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            try (Stream<Path> files = Files.list(dir)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".png")).toList()) {
                    Files.delete(f);
                }
            }
        }
    }
}
