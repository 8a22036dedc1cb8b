package io.mppbroker.it;

import static io.mppbroker.it.ItSupport.PG;
import static io.mppbroker.it.ItSupport.PG_USER;
import static io.mppbroker.it.ItSupport.PG_PASSWORD;
import static io.mppbroker.it.ItSupport.createDatabase;
import static io.mppbroker.it.ItSupport.sha256;
import static io.mppbroker.it.ItSupport.randomHex;
import static io.mppbroker.it.ItSupport.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mppbroker.testkit.BrokerProcess;
import io.mppbroker.testkit.FakeSlack;
import io.mppbroker.testkit.FakeStripe;
import io.mppbroker.testkit.MppTestSeller;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The field scenario, black-box: a research agent with a 100.00 task budget meets an 800.00 need; its
 * request is held ({@code Prefer: wait=55}); the card appears in Slack with the context; the approver clicks
 * Revise, raises the task budget to 800.00 and adds a note; the held request returns with the note and the
 * new budget, and the payment goes through against a fresh challenge.
 */
class SlackApprovalIT {

    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    static final String CHANNEL = "C0RESEARCHFIN";
    static final String APPROVER_SLACK_ID = "U0FIN0001";
    static final String SIGNING_SECRET = randomHex(16);

    static FakeStripe stripe;
    static FakeSlack slack;
    static MppTestSeller seller;
    static BrokerProcess broker;
    static String database;

    @BeforeAll
    static void start() throws Exception {
        stripe = FakeStripe.start();
        slack = FakeSlack.start();
        slack.addUser(APPROVER_SLACK_ID, "fin-approver-1", "Fin Approver", "fin@example.com");
        slack.addChannel(CHANNEL, "research-approvals", APPROVER_SLACK_ID);
        seller = MppTestSeller.builder(stripe.baseUrl()).stripeSecretKey("sk_test_it_slack_seller").start();
        seller.price("GET", "/datasets/eu-retail", "80000", "usd"); // 800.00

        database = createDatabase("mpp_it");
        Path budgets = Files.createTempDirectory("it-slack-budgets");
        Files.writeString(budgets.resolve("research.yaml"), """
                project: research
                currency: usd
                agents:
                  - id: research-agent
                    token_sha256: "%s"
                payment:
                  stripe_payment_method: pm_card_visa
                budgets:
                  per_task: "100.00"
                tiers:
                  auto_below: "10.00"
                  explicit_above: "1000.00"
                  ceiling: "2000.00"
                sellers:
                  default: allow
                recurring:
                  min_occurrences: 1000
                  window: 7d
                approvers:
                  - id: fin-approver-1
                    token_sha256: "%s"
                    slack_user: %s
                routing:
                  over_budget:
                    routes:
                      - approvers: [fin-approver-1]
                        slack:
                          channel: %s
                        timeout: 1h
                """.formatted(sha256("it-research-agent-token"), sha256("it-fin-approver-token"), APPROVER_SLACK_ID, CHANNEL));
        broker = BrokerProcess.start("broker-slack", Map.ofEntries(
                Map.entry("QUARKUS_DATASOURCE_JDBC_URL", PG + database),
                Map.entry("QUARKUS_DATASOURCE_USERNAME", PG_USER),
                Map.entry("QUARKUS_DATASOURCE_PASSWORD", PG_PASSWORD),
                Map.entry("BROKER_BUDGETS_DIR", budgets.toString()),
                Map.entry("BROKER_STRIPE_API_BASE", stripe.baseUrl()),
                Map.entry("BROKER_STRIPE_SECRET_KEY", "sk_test_it_slack_broker"),
                Map.entry("BROKER_SELLERS_INSECURE_HOSTS", "127.0.0.1,localhost"),
                Map.entry("BROKER_AUDIT_FILE", budgets.resolve("audit.jsonl").toString()),
                Map.entry("BROKER_SLACK_API_BASE", slack.baseUrl()),
                Map.entry("BROKER_SLACK_BOT_TOKEN", slack.botToken()),
                Map.entry("BROKER_SLACK_SIGNING_SECRET", SIGNING_SECRET)));
    }

    @AfterAll
    static void stop() {
        if (broker != null) broker.close();
        if (seller != null) seller.close();
        if (slack != null) slack.close();
        if (stripe != null) stripe.close();
    }

    @Test
    void theApproverRaisesTheTaskBudgetInSlackAndTheHeldRequestPays() throws Exception {
        String task = "t-eu-retail-" + UUID.randomUUID().toString().substring(0, 8);
        int challengesBefore = seller.challengesIssued();

        // the agent asks and is held while a human decides
        CompletableFuture<Reply> held = CompletableFuture.supplyAsync(() -> post("/v1/payments", "it-research-agent-token",
                Map.of("task", task, "purpose", "EU retail prices for the Q3 pricing study",
                        "request", Map.of("method", "GET", "url", seller.baseUrl() + "/datasets/eu-retail")),
                "wait=55"));

        // the card appears in Slack, with the context an approver needs
        FakeSlack.PostedMessage card = await(() -> slack.messages(CHANNEL).stream()
                .filter(m -> text(m.blocks()).contains(task)).findFirst(), "the approval card in Slack");
        String shown = text(card.blocks());
        for (String expected : List.of("*Agent*\nresearch-agent", "*Project*\nresearch", "800.00 USD", "127.0.0.1",
                "EU retail prices for the Q3 pricing study", "over_budget",
                "task " + task + ": 0.00 of 100.00 used, *-700.00* left after this payment",
                "first payment to 127.0.0.1")) {
            assertTrue(shown.contains(expected), "the card lacks \"" + expected + "\": " + shown);
        }
        assertFalse(held.isDone(), "the agent is still held");
        assertEquals(challengesBefore + 1, seller.challengesIssued());
        String heldChallenge = challengeOfTask(task);

        // Revise: the form opens, the approver raises the task budget and writes a note
        HttpResponse<String> clicked = slack.clickButton(APPROVER_SLACK_ID, CHANNEL, card.ts(), "revise")
                .signed(SIGNING_SECRET).post(URI.create(broker.baseUrl() + "/slack/interactivity"));
        assertEquals(200, clicked.statusCode(), clicked.body());
        FakeSlack.OpenedView form = await(() -> slack.views().stream().filter(v -> v.userId().equals(APPROVER_SLACK_ID))
                .findFirst(), "the revision form");
        HttpResponse<String> submitted = slack.viewSubmission(form.id())
                .input("task_budget", "value", "800.00")
                .input("note", "value", "Approved for the Q3 study; EU only")
                .build().signed(SIGNING_SECRET).post(URI.create(broker.baseUrl() + "/slack/interactivity"));
        assertEquals(200, submitted.statusCode(), submitted.body());

        // the held request returns with the note and the new budget, paid
        Reply r = held.get();
        assertEquals(200, r.status(), r.body().toString());
        JsonNode decision = r.body().path("decision");
        assertEquals("paid", r.body().path("status").asText());
        assertEquals("human", decision.path("basis").asText());
        assertEquals("fin-approver-1", decision.path("approved_by").asText());
        assertEquals("Approved for the Q3 study; EU only", decision.path("note").asText());
        assertEquals("800.00", decision.path("revisions").path("task_budget").path("amount").asText());
        assertEquals(task, decision.path("revisions").path("task_budget").path("task").asText());
        assertEquals("slack", r.body().path("approval").path("decided_via").asText());

        // ... against a fresh challenge: one more 402 after the approval, and that one was paid
        assertEquals(challengesBefore + 2, seller.challengesIssued());
        List<MppTestSeller.SellerPayment> paid = seller.payments();
        assertEquals(1, paid.size());
        assertNotEquals(heldChallenge, paid.get(0).challengeId(), "paid against the challenge seen before the approval");
        String pi = r.body().path("receipt").path("reference").asText();
        assertEquals(pi, paid.get(0).paymentIntentId());
        assertTrue(stripe.paymentIntents().stream().anyMatch(p -> p.id().equals(pi) && p.amount() == 80000
                && p.status().equals("succeeded")));

        // the card now says who decided, how and when, and has no buttons left
        FakeSlack.PostedMessage updated = await(() -> slack.message(CHANNEL, card.ts())
                .filter(m -> text(m.blocks()).contains("*Approved* by fin-approver-1 via slack at 20")), "the updated card");
        assertTrue(text(updated.blocks()).contains("Approved for the Q3 study; EU only"));
        assertTrue(updated.blocks().toString().indexOf("\"actions\"") < 0, "buttons left on a decided card");

        String log = Files.readString(broker.logFile());
        assertFalse(log.contains(slack.botToken()), "bot token in the log");
        assertFalse(log.contains(SIGNING_SECRET), "signing secret in the log");
    }

    // ---- helpers ----

    record Reply(int status, JsonNode body) {}

    static Reply post(String path, String token, Object body, String prefer) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(broker.baseUrl() + path))
                    .timeout(Duration.ofSeconds(90))
                    .header("Authorization", "Bearer " + token)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
            if (prefer != null) b.header("Prefer", prefer);
            HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
            return new Reply(r.statusCode(), JSON.readTree(r.body().isEmpty() ? "{}" : r.body()));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The challenge the broker holds for the task's payment (read from its database, as an operator would). */
    static String challengeOfTask(String task) throws Exception {
        try (Connection c = DriverManager.getConnection(PG + database, PG_USER, PG_PASSWORD);
             PreparedStatement st = c.prepareStatement("SELECT challenge_id FROM payment WHERE task = ?")) {
            st.setString(1, task);
            try (ResultSet rs = st.executeQuery()) {
                assertTrue(rs.next(), "no payment for " + task);
                String id = rs.getString(1);
                assertTrue(id != null && !id.isEmpty(), "no challenge recorded");
                return id;
            }
        }
    }

    static String text(JsonNode node) {
        StringBuilder sb = new StringBuilder();
        collect(node, sb);
        return sb.toString();
    }

    private static void collect(JsonNode node, StringBuilder sb) {
        if (node == null) return;
        if (node.isObject() && node.path("text").isTextual()) sb.append(node.get("text").asText()).append('\n');
        node.forEach(child -> collect(child, sb));
    }
}
