package io.mppbroker.it;

import static io.mppbroker.it.ItSupport.PG;
import static io.mppbroker.it.ItSupport.PG_USER;
import static io.mppbroker.it.ItSupport.PG_PASSWORD;
import static io.mppbroker.it.ItSupport.createDatabase;
import static io.mppbroker.it.ItSupport.await;
import static io.mppbroker.it.ItSupport.randomHex;
import static io.mppbroker.it.ItSupport.sha256;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mppbroker.testkit.AgentWebhook;
import io.mppbroker.testkit.BrokerProcess;
import io.mppbroker.testkit.FakeSlack;
import io.mppbroker.testkit.FakeStripe;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The scenario of issue 4, black-box against the packaged broker: a new reconciliation agent without any Stripe
 * permission calls the Stripe gateway and is denied (403, a DENY audit line); it asks for access with no action
 * (the broker derives it from the denial and proposes a least-privilege grant as a policy diff); the approver
 * clicks Approve on the card in (fake) Slack; the grant applies without a restart; the agent's A2A push webhook
 * is told, with the grant; the retry is allowed and its audit line names the grant, the approver and the expiry;
 * once the short TTL has passed the same call is denied again.
 */
class AccessScenarioIT {

    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    static final String CHANNEL = "C0BILLINGAPPR";
    static final String APPROVER_SLACK_ID = "U0FINLEAD01";
    static final String AGENT_TOKEN = "it-billing-reconciler-token";
    static final String BROKER_STRIPE_KEY = "sk_test_it_access_broker";
    static final String SIGNING_SECRET = randomHex(16);
    static final String PUSH_CREDENTIALS = "push-" + randomHex(12);
    static final String TTL = "12s";

    static FakeStripe stripe;
    static FakeSlack slack;
    static AgentWebhook agentWebhook;
    static BrokerProcess broker;
    static Path auditFile;
    static String chargeId;

    @BeforeAll
    static void start() throws Exception {
        stripe = FakeStripe.start();
        chargeId = stripe.seedCharge(BROKER_STRIPE_KEY, 12_500, "usd");
        slack = FakeSlack.start();
        slack.addUser(APPROVER_SLACK_ID, "fin-lead", "Fin Lead", "fin-lead@example.com");
        slack.addChannel(CHANNEL, "billing-approvals", APPROVER_SLACK_ID);
        agentWebhook = AgentWebhook.start();

        String database = createDatabase("mpp_it");
        Path dir = Files.createTempDirectory("it-access");
        Path budgets = Files.createDirectory(dir.resolve("budgets"));
        Files.writeString(budgets.resolve("project-billing.yaml"), """
                project: project-billing
                currency: usd
                agents:
                  - id: billing-reconciler-1
                    token_sha256: "%s"
                payment:
                  stripe_payment_method: pm_card_visa
                tiers:
                  auto_below: "10.00"
                  explicit_above: "250.00"
                  ceiling: "1000.00"
                sellers:
                  default: deny
                approvers:
                  - id: fin-lead
                    token_sha256: "%s"
                    slack_user: %s
                routing:
                  access:
                    routes:
                      - approvers: [fin-lead]
                        slack:
                          channel: %s
                        timeout: 1h
                grants:
                  - service: git
                    actions: [read]
                    resources: ["acme/billing-ledger"]
                """.formatted(sha256(AGENT_TOKEN), sha256("it-fin-lead-token"), APPROVER_SLACK_ID, CHANNEL));
        auditFile = dir.resolve("audit.jsonl");
        broker = BrokerProcess.start("broker-access-scenario", Map.ofEntries(
                Map.entry("QUARKUS_DATASOURCE_JDBC_URL", PG + database),
                Map.entry("QUARKUS_DATASOURCE_USERNAME", PG_USER),
                Map.entry("QUARKUS_DATASOURCE_PASSWORD", PG_PASSWORD),
                Map.entry("BROKER_BUDGETS_DIR", budgets.toString()),
                Map.entry("BROKER_DATA_DIR", dir.resolve("data").toString()),
                Map.entry("BROKER_AUDIT_FILE", auditFile.toString()),
                Map.entry("BROKER_STRIPE_API_BASE", stripe.baseUrl()),
                Map.entry("BROKER_STRIPE_SECRET_KEY", BROKER_STRIPE_KEY),
                Map.entry("BROKER_SLACK_API_BASE", slack.baseUrl()),
                Map.entry("BROKER_SLACK_BOT_TOKEN", slack.botToken()),
                Map.entry("BROKER_SLACK_SIGNING_SECRET", SIGNING_SECRET),
                // The agent's webhook runs on this machine: explicitly allowed, as an operator would for a local agent.
                Map.entry("BROKER_A2A_PUSH_PRIVATE_HOSTS", "127.0.0.1")));
    }

    @AfterAll
    static void stop() {
        if (broker != null) broker.close();
        if (agentWebhook != null) agentWebhook.close();
        if (slack != null) slack.close();
        if (stripe != null) stripe.close();
    }

    @Test
    void deniedAskedApprovedInSlackNotifiedAllowedThenDeniedAgainAfterExpiry() throws Exception {
        // 1. No Stripe permission: the gateway denies, Stripe is never called, one DENY line.
        Reply denied = get("/stripe/v1/charges?limit=3");
        assertEquals(403, denied.status(), denied.body().toString());
        assertEquals("DENY", denied.body().path("decision").asText());
        JsonNode denyLine = awaitAuditLine(l -> isGatewayCall(l, "DENY"));
        assertEquals("billing-reconciler-1", denyLine.path("agent").asText());
        assertEquals("project-billing", denyLine.path("project").asText());
        assertEquals("stripe.com/v1/charges", denyLine.path("resource").asText());
        assertEquals(403, denyLine.path("http_status").asInt());
        assertFalse(denyLine.path("reason").asText().isBlank());

        // 2. The agent asks over A2A with the body of POST /v1/access-requests and no action: derived from the denial.
        Reply sent = rpc("SendMessage", Map.of(
                "message", Map.of("messageId", UUID.randomUUID().toString(), "role", "ROLE_USER",
                        "parts", List.of(Map.of("data", Map.of(
                                "justification", "reconcile November charges against the internal ledger", "ttl", TTL)))),
                "configuration", Map.of("taskPushNotificationConfig", Map.of("url", agentWebhook.url("/a2a/push"),
                        "token", "task-token-1", "authentication", Map.of("scheme", "Bearer", "credentials", PUSH_CREDENTIALS)))));
        assertEquals(200, sent.status(), sent.body().toString());
        JsonNode task = sent.body().path("result").path("task");
        assertEquals("TASK_STATE_AUTH_REQUIRED", task.path("status").path("state").asText(), task.toString());
        String accessRequestId = task.path("metadata").path("subjectId").asText();
        assertTrue(accessRequestId.startsWith("acr_"), accessRequestId);

        // ... the same request over REST: the proposal is the exact action, read-only, as a policy diff.
        Reply request = getAs("/v1/access-requests/" + accessRequestId, AGENT_TOKEN);
        assertEquals(200, request.status(), request.body().toString());
        assertEquals("pending", request.body().path("status").asText());
        assertEquals("stripe:charges:read", request.body().path("action").asText());
        JsonNode proposal = request.body().path("proposal");
        assertEquals("stripe", proposal.path("grant").path("service").asText());
        assertEquals(List.of("charges:read"), JSON.convertValue(proposal.path("grant").path("actions"), List.class));
        String diff = proposal.path("diff").asText();
        assertTrue(diff.contains("+") && diff.contains("service: stripe") && diff.contains("charges:read"), diff);

        // 3. The card in Slack; the approver clicks Approve.
        FakeSlack.PostedMessage card = await(() -> slack.messages(CHANNEL).stream()
                .filter(m -> SlackApprovalIT.text(m.blocks()).contains("charges:read")).findFirst(), "the access card in Slack");
        HttpResponse<String> clicked = slack.clickButton(APPROVER_SLACK_ID, CHANNEL, card.ts(), "approve")
                .signed(SIGNING_SECRET).post(URI.create(broker.baseUrl() + "/slack/interactivity"));
        assertEquals(200, clicked.statusCode(), clicked.body());

        // 4. The agent's webhook gets the completed task with the grant, authenticated as configured.
        AgentWebhook.Received push = agentWebhook.await(r -> "TASK_STATE_COMPLETED".equals(
                r.body().path("task").path("status").path("state").asText()), Duration.ofSeconds(30));
        assertEquals("Bearer " + PUSH_CREDENTIALS, push.header("Authorization"));
        assertEquals("task-token-1", push.header("X-A2A-Notification-Token"));
        assertEquals(task.path("id").asText(), push.body().path("task").path("id").asText());
        JsonNode grant = push.body().path("task").path("artifacts").path(0).path("parts").path(0).path("data");
        String grantId = grant.path("id").asText();
        String expiresAt = grant.path("expires_at").asText();
        assertFalse(grantId.isBlank(), push.body().toString());
        assertEquals("fin-lead", grant.path("approved_by").asText());
        assertTrue(agentWebhook.received().stream().anyMatch(r -> "TASK_STATE_AUTH_REQUIRED".equals(
                r.body().path("task").path("status").path("state").asText())), "the waiting state was pushed too");

        // The grant applied without a restart.
        await(() -> Optional.of(log()).filter(l -> l.contains("policy reloaded for project-billing (1 grant added)")),
                "the reload line");

        // 5. The retry is allowed; Stripe's answer passes through; the audit line names grant, approver and expiry.
        Reply allowed = get("/stripe/v1/charges?limit=3");
        assertEquals(200, allowed.status(), allowed.body().toString());
        assertEquals(chargeId, allowed.body().path("data").path(0).path("id").asText());
        JsonNode allowLine = awaitAuditLine(l -> isGatewayCall(l, "ALLOW"));
        assertEquals(grantId, allowLine.path("grant_id").asText());
        assertEquals("fin-lead", allowLine.path("approved_by").asText());
        assertEquals(Instant.parse(expiresAt), Instant.parse(allowLine.path("expires").asText()));
        assertEquals(200, allowLine.path("http_status").asInt());

        // 6. After the TTL the grant is gone: denied again.
        Instant expiry = Instant.parse(expiresAt);
        while (Instant.now().isBefore(expiry.plusSeconds(2))) {
            Thread.sleep(250);
        }
        Reply again = await(() -> Optional.of(get("/stripe/v1/charges?limit=3")).filter(r -> r.status() == 403),
                "a denial after the expiry");
        assertEquals("DENY", again.body().path("decision").asText());
        // The file gets its lines just after the commit: wait for the second DENY, then check there are exactly two.
        await(() -> Optional.of(auditLines().stream().filter(l -> isGatewayCall(l, "DENY")).count()).filter(n -> n >= 2),
                "the second DENY line");
        assertEquals(2, auditLines().stream().filter(l -> isGatewayCall(l, "DENY")).count());
        assertTrue(auditLines().stream().anyMatch(l -> "grant.expired".equals(l.path("event").asText())
                && grantId.equals(l.path("grant_id").asText())), "the expiry is an audit line");

        String log = log();
        assertFalse(log.contains(PUSH_CREDENTIALS), "push credentials in the log");
        assertFalse(log.contains(AGENT_TOKEN), "agent token in the log");
        assertFalse(log.contains(BROKER_STRIPE_KEY), "Stripe key in the log");
    }

    // ---- helpers ----

    record Reply(int status, JsonNode body) {}

    static Reply get(String path) {
        return getAs(path, AGENT_TOKEN);
    }

    static Reply getAs(String path, String token) {
        return send(HttpRequest.newBuilder(URI.create(broker.baseUrl() + path)).GET()
                .header("Authorization", "Bearer " + token));
    }

    static Reply rpc(String method, Object params) throws IOException {
        return send(HttpRequest.newBuilder(URI.create(broker.baseUrl() + "/a2a"))
                .header("Authorization", "Bearer " + AGENT_TOKEN)
                .header("A2A-Version", "1.0")
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(
                        Map.of("jsonrpc", "2.0", "id", 1, "method", method, "params", params)))));
    }

    static Reply send(HttpRequest.Builder request) {
        try {
            HttpResponse<String> r = HTTP.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
            return new Reply(r.statusCode(), JSON.readTree(r.body().isEmpty() ? "{}" : r.body()));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** An {@code access} line of the gateway for the charges listing with this decision. */
    static boolean isGatewayCall(JsonNode line, String decision) {
        return "access".equals(line.path("event").asText()) && decision.equals(line.path("decision").asText())
                && "stripe:charges:read".equals(line.path("action").asText());
    }

    static List<JsonNode> auditLines() {
        try {
            if (!Files.exists(auditFile)) {
                return List.of();
            }
            return Files.readAllLines(auditFile).stream().filter(l -> !l.isBlank()).map(l -> {
                try {
                    return JSON.readTree(l);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }).toList();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static JsonNode awaitAuditLine(java.util.function.Predicate<JsonNode> which) throws InterruptedException {
        return await(() -> auditLines().stream().filter(which).reduce((a, b) -> b), "the audit line");
    }

    static String log() {
        try {
            return Files.readString(broker.logFile());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
