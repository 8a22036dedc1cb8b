package io.mppbroker.a2a;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mppbroker.testkit.AgentWebhook;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Access requests over A2A: auth-required while a human decides, the grant as the artifact, grant_ready webhooks. */
@QuarkusTest
class A2aAccessTest {

    static final String AGENT = "Bearer a2a-agent-token";
    static final String APPROVER = "Bearer a2a-approver-token";

    static AgentWebhook webhook;

    @BeforeAll
    static void start() {
        webhook = AgentWebhook.start();
    }

    @AfterAll
    static void stop() {
        webhook.close();
    }

    static Response rpc(String method, Object params) {
        return given().header("Authorization", AGENT).header("A2A-Version", "1.0").contentType(ContentType.JSON)
                .body(Map.of("jsonrpc", "2.0", "id", "r-1", "method", method, "params", params)).post("/a2a");
    }

    static Map<String, Object> accessMessage(String action, String ttl) {
        return Map.of("messageId", UUID.randomUUID().toString(), "role", "ROLE_USER",
                "parts", List.of(Map.of("data", Map.of("justification", "reconcile charges against the ledger",
                        "action", action, "ttl", ttl))));
    }

    @Test
    void anApprovedAccessRequestCompletesWithTheGrantAndTellsTheAgent() {
        String taskPath = "/task-" + UUID.randomUUID();
        String eventsPath = "/events-" + UUID.randomUUID();
        given().header("Authorization", AGENT).contentType(ContentType.JSON)
                .body(Map.of("url", webhook.url(eventsPath), "events", List.of("grant_ready"), "token", "events-token"))
                .post("/v1/webhooks").then().statusCode(201);

        Response sent = rpc("SendMessage", Map.of("message", accessMessage("stripe:charges:read", "2h"),
                "configuration", Map.of("taskPushNotificationConfig", Map.of("url", webhook.url(taskPath), "token", "tok-a"))));
        sent.then().statusCode(200)
                .body("result.task.status.state", equalTo("TASK_STATE_AUTH_REQUIRED"))
                .body("result.task.metadata.kind", equalTo("access_request"))
                .body("result.task.metadata.subjectId", startsWith("acr_"))
                .body("result.task.status.message.parts[1].data.status", equalTo("pending"))
                .body("result.task.status.message.parts[1].data.proposal.diff", containsString("charges:read"));
        String taskId = sent.path("result.task.id");
        String requestId = sent.path("result.task.metadata.subjectId");
        String approvalId = sent.path("result.task.status.message.parts[1].data.approval_id");

        // The agent can still see it over REST, the same record.
        given().header("Authorization", AGENT).get("/v1/access-requests/" + requestId).then().statusCode(200)
                .body("status", equalTo("pending"));
        webhook.await(r -> r.path().equals(taskPath)
                && "TASK_STATE_AUTH_REQUIRED".equals(r.body().path("task").path("status").path("state").asText()), Duration.ofSeconds(20));

        given().header("Authorization", APPROVER).contentType(ContentType.JSON).body(Map.of("decision", "approve"))
                .post("/v1/approvals/" + approvalId).then().statusCode(200);

        Response done = rpc("GetTask", Map.of("id", taskId));
        done.then().body("result.status.state", equalTo("TASK_STATE_COMPLETED"))
                .body("result.artifacts[0].artifactId", equalTo("grant"))
                .body("result.artifacts[0].parts[0].data.id", startsWith("grt_"))
                .body("result.artifacts[0].parts[0].data.approved_by", equalTo("a2a-approver"))
                .body("result.artifacts[0].parts[0].data.service", equalTo("stripe"));
        String grantId = done.path("result.artifacts[0].parts[0].data.id");
        String expiresAt = done.path("result.artifacts[0].parts[0].data.expires_at");

        AgentWebhook.Received push = webhook.await(r -> r.path().equals(taskPath)
                && "TASK_STATE_COMPLETED".equals(r.body().path("task").path("status").path("state").asText()), Duration.ofSeconds(20));
        assertEquals("tok-a", push.header("X-A2A-Notification-Token"));
        assertEquals(grantId, push.body().path("task").path("artifacts").path(0).path("parts").path(0).path("data").path("id").asText());

        AgentWebhook.Received event = webhook.await(r -> r.path().equals(eventsPath), Duration.ofSeconds(20));
        assertEquals("Bearer events-token", event.header("Authorization"));
        assertEquals("grant_ready", event.body().path("type").asText());
        assertEquals(requestId, event.body().path("data").path("access_request_id").asText());
        assertEquals(grantId, event.body().path("data").path("grant_id").asText());
        assertEquals(expiresAt, event.body().path("data").path("expires_at").asText());
        assertEquals("a2a-approver", event.body().path("data").path("approved_by").asText());

        // The grant works: the agent is allowed what it asked for.
        given().header("Authorization", AGENT).contentType(ContentType.JSON)
                .body(Map.of("action", "stripe:charges:read", "resource", "stripe.com/v1/charges"))
                .post("/v1/authorize").then().statusCode(200).body("decision", equalTo("ALLOW"));
    }

    @Test
    void cancelingTheTaskWithdrawsTheAccessRequest() {
        Response sent = rpc("SendMessage", Map.of("message", accessMessage("stripe:customers:read", "1h")));
        sent.then().body("result.task.status.state", equalTo("TASK_STATE_AUTH_REQUIRED"));
        rpc("CancelTask", Map.of("id", sent.path("result.task.id"))).then()
                .body("result.status.state", equalTo("TASK_STATE_CANCELED"));
        given().header("Authorization", AGENT).get("/v1/access-requests/" + sent.path("result.task.metadata.subjectId"))
                .then().body("status", equalTo("withdrawn"));
        rpc("CancelTask", Map.of("id", sent.path("result.task.id"))).then().body("error.code", equalTo(-32002));
    }

    @Test
    void aDeniedAccessRequestIsRejected() {
        Response sent = rpc("SendMessage", Map.of("message", accessMessage("stripe:refunds:write", "1h")));
        String approvalId = sent.path("result.task.status.message.parts[1].data.approval_id");
        given().header("Authorization", APPROVER).contentType(ContentType.JSON)
                .body(Map.of("decision", "deny", "note", "no refunds for this agent"))
                .post("/v1/approvals/" + approvalId).then().statusCode(200);
        rpc("GetTask", Map.of("id", sent.path("result.task.id"))).then()
                .body("result.status.state", equalTo("TASK_STATE_REJECTED"))
                .body("result.status.message.parts[0].text", containsString("no refunds for this agent"));
    }
}
