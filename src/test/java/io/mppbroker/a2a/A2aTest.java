package io.mppbroker.a2a;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mppbroker.payment.FakeStripeResource;
import io.mppbroker.testkit.AgentWebhook;
import io.mppbroker.testkit.MppTestSeller;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The A2A 1.0 JSON-RPC binding, streaming and push notifications, as an agent would use them. */
@QuarkusTest
@QuarkusTestResource(value = FakeStripeResource.class, restrictToAnnotatedClass = true)
class A2aTest {

    static final String AGENT = "Bearer qa-agent-token";
    static final String OTHER_AGENT = "Bearer qa-agent-2-token";
    static final String APPROVER = "Bearer qa-approver-token";
    static final ObjectMapper JSON = new ObjectMapper();

    static MppTestSeller seller;
    static AgentWebhook webhook;

    @TestHTTPResource("/a2a")
    URI endpoint;

    @BeforeAll
    static void start() {
        seller = MppTestSeller.builder(FakeStripeResource.stripe().baseUrl()).stripeSecretKey("sk_test_seller_a2a").start();
        seller.price("GET", "/report", "500", "usd");    // 5.00: auto tier
        seller.price("GET", "/dataset", "5000", "usd");  // 50.00: ask tier
        webhook = AgentWebhook.start();
    }

    @AfterAll
    static void stop() {
        seller.close();
        webhook.close();
    }

    static Map<String, Object> payment(String path) {
        return Map.of("task", "t-" + UUID.randomUUID(), "purpose", "a2a test",
                "request", Map.of("method", "GET", "url", seller.baseUrl() + path));
    }

    static Map<String, Object> message(Map<String, Object> data) {
        return Map.of("messageId", UUID.randomUUID().toString(), "role", "ROLE_USER",
                "parts", List.of(Map.of("data", data, "mediaType", "application/json")));
    }

    static Response rpc(String token, String method, Object params) {
        return given().header("Authorization", token).header("A2A-Version", "1.0").contentType(ContentType.JSON)
                .body(Map.of("jsonrpc", "2.0", "id", 7, "method", method, "params", params))
                .post("/a2a");
    }

    static Response send(Map<String, Object> params) {
        return rpc(AGENT, "SendMessage", params);
    }

    static String approve(String approvalId) {
        return given().header("Authorization", APPROVER).contentType(ContentType.JSON)
                .body(Map.of("decision", "approve", "note", "fine"))
                .post("/v1/approvals/" + approvalId).then().statusCode(200).extract().path("approval.status");
    }

    /** An ask-tier payment's task, waiting for a human. */
    static Response pendingTask(Map<String, Object> configuration) {
        Map<String, Object> params = configuration == null ? Map.of("message", message(payment("/dataset")))
                : Map.of("message", message(payment("/dataset")), "configuration", configuration);
        Response r = send(params);
        r.then().statusCode(200).body("result.task.status.state", equalTo("TASK_STATE_INPUT_REQUIRED"));
        return r;
    }

    static String approvalOf(Response task) {
        return task.path("result.task.status.message.parts[1].data.approval.id");
    }

    @Test
    void theAgentCardFollowsTheSpec() {
        Response card = given().get("/.well-known/agent-card.json");
        card.then().statusCode(200)
                .contentType(ContentType.JSON)
                .header("Cache-Control", containsString("max-age"))
                .header("ETag", notNullValue())
                .body("name", equalTo("mpp-broker"))
                .body("description", notNullValue())
                .body("version", notNullValue())
                .body("supportedInterfaces[0].url", startsWith("http"))
                .body("supportedInterfaces[0].url", containsString("/a2a"))
                .body("supportedInterfaces[0].protocolBinding", equalTo("JSONRPC"))
                .body("supportedInterfaces[0].protocolVersion", equalTo("1.0"))
                .body("capabilities.streaming", equalTo(true))
                .body("capabilities.pushNotifications", equalTo(true))
                .body("securitySchemes.brokerToken.httpAuthSecurityScheme.scheme", equalTo("Bearer"))
                .body("securityRequirements[0].schemes", hasKey("brokerToken"))
                .body("defaultInputModes", hasItems("application/json"))
                .body("defaultOutputModes", hasItems("application/json"))
                .body("skills.id", hasItems("pay", "request-access"))
                .body("skills.tags", everyItem(not(Collections.emptyList())))
                .body("$", not(hasKey("supported_interfaces")));
        // The interface URL is where the JSON-RPC binding answers.
        String url = card.path("supportedInterfaces[0].url");
        assertEquals("/a2a", URI.create(url).getPath());
        given().header("If-None-Match", card.header("ETag")).get("/.well-known/agent-card.json").then().statusCode(304);
    }

    @Test
    void aPaymentBelowTheAutoTierCompletesWithThePaymentAsArtifact() {
        Map<String, Object> message = message(payment("/report"));
        int paymentsBefore = seller.payments().size();
        Response r = send(Map.of("message", message));
        r.then().statusCode(200)
                .contentType(ContentType.JSON)
                .body("jsonrpc", equalTo("2.0"))
                .body("id", equalTo(7))
                .body("result.task.id", startsWith("task_"))
                .body("result.task.contextId", notNullValue())
                .body("result.task.status.state", equalTo("TASK_STATE_COMPLETED"))
                .body("result.task.status.timestamp", notNullValue())
                .body("result.task.artifacts[0].parts[0].data.status", equalTo("paid"))
                .body("result.task.artifacts[0].parts[0].data.amount", equalTo("5.00"))
                .body("result.task.artifacts[0].parts[0].data.response.status", equalTo(200))
                .body("result.task.metadata.subjectId", startsWith("pay_"));
        String taskId = r.path("result.task.id");
        assertEquals(paymentsBefore + 1, seller.payments().size());

        // The same message again is the same task, and is not paid twice.
        send(Map.of("message", message)).then().body("result.task.id", equalTo(taskId));
        assertEquals(paymentsBefore + 1, seller.payments().size());

        rpc(AGENT, "GetTask", Map.of("id", taskId)).then().statusCode(200)
                .body("result.id", equalTo(taskId))
                .body("result.status.state", equalTo("TASK_STATE_COMPLETED"))
                .body("result.artifacts[0].artifactId", equalTo("payment-result"));
        rpc(AGENT, "ListTasks", Map.of("pageSize", 100)).then().statusCode(200)
                .body("result.tasks.id", hasItems(taskId))
                .body("result.nextPageToken", notNullValue());
        // Terminal: nothing to cancel, nothing to subscribe to.
        rpc(AGENT, "CancelTask", Map.of("id", taskId)).then().body("error.code", equalTo(-32002));
        rpc(AGENT, "SubscribeToTask", Map.of("id", taskId)).then().statusCode(200)
                .contentType(ContentType.JSON).body("error.code", equalTo(-32004));
    }

    @Test
    void aStreamingMessageStartsWithTheTaskAndClosesAtItsTerminalState() throws Exception {
        HttpRequest request = HttpRequest.newBuilder(endpoint)
                .header("Authorization", AGENT).header("A2A-Version", "1.0").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(Map.of("jsonrpc", "2.0", "id", 11,
                        "method", "SendStreamingMessage", "params", Map.of("message", message(payment("/report")))))))
                .build();
        HttpResponse<String> response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
        assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        List<JsonNode> events = new ArrayList<>();
        for (String line : response.body().split("\n")) {
            if (line.startsWith("data: ")) {
                events.add(JSON.readTree(line.substring(6)));
            }
        }
        assertEquals(1, events.size(), response.body());
        assertEquals(11, events.get(0).path("id").asInt());
        assertEquals("TASK_STATE_COMPLETED", events.get(0).path("result").path("task").path("status").path("state").asText());
    }

    @Test
    void listTasksPagesThroughTheAgentsTasksOfAContext() {
        String context = "ctx-list-" + UUID.randomUUID();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Map<String, Object> message = new java.util.HashMap<>(message(payment("/report")));
            message.put("contextId", context);
            ids.add(send(Map.of("message", message)).then().body("result.task.contextId", equalTo(context))
                    .extract().path("result.task.id"));
        }
        Response first = rpc(AGENT, "ListTasks", Map.of("contextId", context, "pageSize", 2));
        first.then().body("result.tasks.size()", equalTo(2)).body("result.totalSize", equalTo(3))
                .body("result.pageSize", equalTo(2)).body("result.tasks[0]", not(hasKey("artifacts")));
        String token = first.path("result.nextPageToken");
        assertTrue(!token.isEmpty());
        Response second = rpc(AGENT, "ListTasks", Map.of("contextId", context, "pageSize", 2, "pageToken", token,
                "includeArtifacts", true));
        second.then().body("result.tasks.size()", equalTo(1)).body("result.nextPageToken", equalTo(""))
                .body("result.tasks[0].artifacts[0].artifactId", equalTo("payment-result"));
        List<String> listed = new ArrayList<>(first.path("result.tasks.id"));
        listed.addAll(second.path("result.tasks.id"));
        assertEquals(Set.copyOf(ids), Set.copyOf(listed));
        rpc(AGENT, "ListTasks", Map.of("pageSize", 0)).then().body("error.code", equalTo(-32602));
        rpc(AGENT, "ListTasks", Map.of("status", "TASK_STATE_RUNNING")).then().body("error.code", equalTo(-32602));
    }

    @Test
    void errorsAreJsonRpcErrorsWithTheSpecCodes() {
        given().header("Authorization", AGENT).header("A2A-Version", "1.0").contentType(ContentType.JSON)
                .body("{not json").post("/a2a").then().statusCode(200).contentType(ContentType.JSON)
                .body("jsonrpc", equalTo("2.0")).body("error.code", equalTo(-32700));
        given().header("Authorization", AGENT).header("A2A-Version", "1.0").contentType(ContentType.JSON)
                .body(Map.of("jsonrpc", "2.0", "id", 1)).post("/a2a").then().statusCode(200)
                .body("error.code", equalTo(-32600)).body("id", equalTo(1));
        rpc(AGENT, "tasks/get", Map.of("id", "x")).then().statusCode(200).body("error.code", equalTo(-32601));
        given().header("Authorization", AGENT).contentType(ContentType.JSON)
                .body(Map.of("jsonrpc", "2.0", "id", 2, "method", "GetTask", "params", Map.of("id", "x")))
                .post("/a2a").then().statusCode(200).body("error.code", equalTo(-32009))
                .body("error.data[0].reason", equalTo("VERSION_NOT_SUPPORTED"));
        given().header("A2A-Version", "1.0").contentType(ContentType.JSON)
                .body(Map.of("jsonrpc", "2.0", "id", 3, "method", "GetTask", "params", Map.of("id", "x")))
                .post("/a2a").then().statusCode(401).contentType(ContentType.JSON)
                .header("WWW-Authenticate", startsWith("Bearer")).body("error.code", equalTo(-32000));
        rpc(AGENT, "GetTask", Map.of("id", "task_nope")).then().body("error.code", equalTo(-32001))
                .body("error.data[0].@type", equalTo("type.googleapis.com/google.rpc.ErrorInfo"))
                .body("error.data[0].reason", equalTo("TASK_NOT_FOUND"));
        send(Map.of("message", Map.of("messageId", "m-text", "role", "ROLE_USER", "parts", List.of(Map.of("text", "pay please")))))
                .then().body("error.code", equalTo(-32602))
                .body("error.data[0].@type", equalTo("type.googleapis.com/google.rpc.BadRequest"))
                .body("error.data[0].fieldViolations[0].field", equalTo("message.parts"));
        send(Map.of("message", Map.of("messageId", "m-file", "role", "ROLE_USER",
                "parts", List.of(Map.of("url", "https://example.com/a.png", "mediaType", "image/png")))))
                .then().body("error.code", equalTo(-32005));
        // A bad payment request is invalid params, with the broker's reason.
        send(Map.of("message", message(Map.of("task", "t", "request", Map.of("method", "TRACE", "url", seller.baseUrl())))))
                .then().body("error.code", equalTo(-32602)).body("error.message", containsString("request.method"));
        rpc(AGENT, "GetExtendedAgentCard", Map.of()).then().body("error.code", equalTo(-32004));
    }

    @Test
    void anotherAgentCannotSeeSomeoneElsesTask() {
        String taskId = pendingTask(null).path("result.task.id");
        rpc(OTHER_AGENT, "GetTask", Map.of("id", taskId)).then().body("error.code", equalTo(-32001));
        rpc(OTHER_AGENT, "CancelTask", Map.of("id", taskId)).then().body("error.code", equalTo(-32001));
        rpc(OTHER_AGENT, "SubscribeToTask", Map.of("id", taskId)).then().contentType(ContentType.JSON)
                .body("error.code", equalTo(-32001));
        rpc(OTHER_AGENT, "CreateTaskPushNotificationConfig", Map.of("taskId", taskId, "url", webhook.url("/steal")))
                .then().body("error.code", equalTo(-32001));
        rpc(OTHER_AGENT, "ListTasks", Map.of()).then().body("result.tasks.id", not(hasItems(taskId)));
        // The owner still sees it, unchanged.
        rpc(AGENT, "GetTask", Map.of("id", taskId)).then().body("result.status.state", equalTo("TASK_STATE_INPUT_REQUIRED"));
    }

    @Test
    void cancelTaskWithdrawsThePendingPayment() {
        Response task = pendingTask(null);
        String taskId = task.path("result.task.id");
        rpc(AGENT, "CancelTask", Map.of("id", taskId)).then().statusCode(200)
                .body("result.status.state", equalTo("TASK_STATE_CANCELED"));
        given().header("Authorization", AGENT).get("/v1/payments/" + task.path("result.task.metadata.subjectId"))
                .then().body("status", equalTo("withdrawn"));
    }

    @Test
    void aSubscriptionSeesInputRequiredThenCompletedAfterTheApproval() throws Exception {
        Response task = pendingTask(null);
        String taskId = task.path("result.task.id");
        List<JsonNode> events = Collections.synchronizedList(new ArrayList<>());
        HttpRequest subscribe = HttpRequest.newBuilder(endpoint)
                .header("Authorization", AGENT).header("A2A-Version", "1.0").header("Content-Type", "application/json")
                .header("Accept", "text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(Map.of("jsonrpc", "2.0", "id", "sub-1",
                        "method", "SubscribeToTask", "params", Map.of("id", taskId)))))
                .build();
        HttpResponse<java.util.stream.Stream<String>> response = HttpClient.newHttpClient()
                .send(subscribe, HttpResponse.BodyHandlers.ofLines());
        assertEquals(200, response.statusCode());
        assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        CompletableFuture<Void> reading = CompletableFuture.runAsync(() -> response.body()
                .filter(line -> line.startsWith("data: "))
                .forEach(line -> {
                    try {
                        events.add(JSON.readTree(line.substring(6)));
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }));
        await(() -> !events.isEmpty());
        JsonNode first = events.get(0);
        assertEquals("sub-1", first.path("id").asText());
        assertEquals("TASK_STATE_INPUT_REQUIRED", first.path("result").path("task").path("status").path("state").asText());

        approve(approvalOf(task));
        reading.get(30, java.util.concurrent.TimeUnit.SECONDS); // the stream closes at the terminal state
        JsonNode last = events.get(events.size() - 1).path("result");
        assertEquals("TASK_STATE_COMPLETED", last.path("statusUpdate").path("status").path("state").asText());
        assertEquals(taskId, last.path("statusUpdate").path("taskId").asText());
        JsonNode artifact = events.get(events.size() - 2).path("result").path("artifactUpdate");
        assertEquals("paid", artifact.path("artifact").path("parts").path(0).path("data").path("status").asText());
        assertTrue(artifact.path("lastChunk").asBoolean());
    }

    @Test
    void aPushConfigGetsEachStateWithItsTokenAndNeverEchoesSecrets() {
        String path = "/push-" + UUID.randomUUID();
        Response task = pendingTask(Map.of("taskPushNotificationConfig", Map.of("url", webhook.url(path), "token", "task-token-1",
                "authentication", Map.of("scheme", "Bearer", "credentials", "push-secret-1"))));
        String taskId = task.path("result.task.id");
        List<Map<String, Object>> configs = rpc(AGENT, "ListTaskPushNotificationConfigs", Map.of("taskId", taskId))
                .then().statusCode(200).extract().path("result.configs");
        assertEquals(1, configs.size());
        assertEquals(webhook.url(path), configs.get(0).get("url"));
        assertNull(configs.get(0).get("token"));
        assertEquals(Map.of("scheme", "Bearer"), configs.get(0).get("authentication"));
        rpc(AGENT, "GetTaskPushNotificationConfig", Map.of("taskId", taskId, "id", configs.get(0).get("id")))
                .then().body("result.id", equalTo(configs.get(0).get("id"))).body("result.taskId", equalTo(taskId));

        approve(approvalOf(task));
        AgentWebhook.Received done = webhook.await(r -> r.path().equals(path)
                && "TASK_STATE_COMPLETED".equals(r.body().path("task").path("status").path("state").asText()), Duration.ofSeconds(30));
        assertEquals("Bearer push-secret-1", done.header("Authorization"));
        assertEquals("task-token-1", done.header("X-A2A-Notification-Token"));
        assertTrue(done.header("Content-Type").startsWith("application/a2a+json"));
        assertEquals(taskId, done.body().path("task").path("id").asText());
        assertEquals("paid", done.body().path("task").path("artifacts").path(0).path("parts").path(0).path("data").path("status").asText());
        // The waiting state was pushed too, and no state twice.
        List<String> states = webhook.received().stream().filter(r -> r.path().equals(path))
                .map(r -> r.body().path("task").path("status").path("state").asText() + "/"
                        + r.body().path("task").path("status").path("message").path("messageId").asText()).toList();
        assertTrue(states.stream().anyMatch(s -> s.startsWith("TASK_STATE_INPUT_REQUIRED")), states.toString());
        assertEquals(states.stream().distinct().count(), states.size(), states.toString());

        rpc(AGENT, "DeleteTaskPushNotificationConfig", Map.of("taskId", taskId, "id", configs.get(0).get("id")))
                .then().statusCode(200).body("result", equalTo(Map.of()));
        rpc(AGENT, "DeleteTaskPushNotificationConfig", Map.of("taskId", taskId, "id", configs.get(0).get("id")))
                .then().statusCode(200).body("result", equalTo(Map.of())); // idempotent
        rpc(AGENT, "ListTaskPushNotificationConfigs", Map.of("taskId", taskId)).then().body("result.configs.size()", equalTo(0));
    }

    @Test
    void aFailingWebhookIsRetriedUntilItAnswers() {
        String path = "/flaky-" + UUID.randomUUID();
        Response task = pendingTask(null);
        String taskId = task.path("result.task.id");
        webhook.failNext(2);
        rpc(AGENT, "CreateTaskPushNotificationConfig", Map.of("taskId", taskId, "url", webhook.url(path), "token", "t-2"))
                .then().statusCode(200).body("result.id", startsWith("pnc_"));
        AgentWebhook.Received ok = webhook.await(r -> r.path().equals(path), Duration.ofSeconds(30));
        assertEquals("TASK_STATE_INPUT_REQUIRED", ok.body().path("task").path("status").path("state").asText());
        List<AgentWebhook.Received> attempts = webhook.received().stream().filter(r -> r.path().equals(path)).toList();
        assertEquals(List.of(500, 500, 200), attempts.stream().map(AgentWebhook.Received::answeredStatus).toList().subList(0, 3));
        assertEquals(attempts.get(0).body(), ok.body(), "each retry sends the same state");
    }

    @Test
    void pushesToPrivateAddressesAreRefusedUnlessAllowed() {
        String taskId = pendingTask(null).path("result.task.id");
        // 127.0.0.1 is allowed in the test profile; "localhost" resolves to loopback and is not.
        rpc(AGENT, "CreateTaskPushNotificationConfig", Map.of("taskId", taskId, "url", "https://localhost:" + webhook.port() + "/x"))
                .then().body("error.code", equalTo(-32602)).body("error.message", containsString("loopback"));
        rpc(AGENT, "CreateTaskPushNotificationConfig", Map.of("taskId", taskId, "url", "http://169.254.169.254/latest/meta-data"))
                .then().body("error.code", equalTo(-32602)).body("error.message", containsString("https"));
        rpc(AGENT, "CreateTaskPushNotificationConfig", Map.of("taskId", taskId, "url", "https://169.254.169.254/latest/meta-data"))
                .then().body("error.code", equalTo(-32602)).body("error.message", containsString("link-local"));
        // Refused inline: no payment, no task is created for the message.
        Map<String, Object> message = message(payment("/report"));
        int paymentsBefore = seller.payments().size();
        send(Map.of("message", message, "configuration", Map.of("taskPushNotificationConfig",
                Map.of("url", "https://[::1]:" + webhook.port() + "/x")))).then().body("error.code", equalTo(-32602));
        assertEquals(paymentsBefore, seller.payments().size());
        rpc(AGENT, "ListTaskPushNotificationConfigs", Map.of("taskId", taskId)).then().body("result.configs.size()", equalTo(0));
    }

    static void await(java.util.function.BooleanSupplier condition) {
        Instant deadline = Instant.now().plusSeconds(20);
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("condition not met in 20 s");
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }
}
