package io.mppbroker.a2a;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mppbroker.payment.FakeStripeResource;
import io.mppbroker.testkit.AgentWebhook;
import io.mppbroker.testkit.MppTestSeller;
import io.quarkus.test.common.QuarkusTestResource;
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

/** REST webhooks for agents that do not speak A2A: registration, the SSRF guard, and payment_decided events. */
@QuarkusTest
@QuarkusTestResource(value = FakeStripeResource.class, restrictToAnnotatedClass = true)
class WebhooksTest {

    static final String AGENT = "Bearer qa-agent-token";
    static final String OTHER_AGENT = "Bearer qa-agent-2-token";
    static final String APPROVER = "Bearer qa-approver-token";

    static MppTestSeller seller;
    static AgentWebhook receiver;

    @BeforeAll
    static void start() {
        seller = MppTestSeller.builder(FakeStripeResource.stripe().baseUrl()).stripeSecretKey("sk_test_seller_webhooks").start();
        seller.price("GET", "/dataset", "5000", "usd"); // 50.00: ask tier
        receiver = AgentWebhook.start();
    }

    @AfterAll
    static void stop() {
        seller.close();
        receiver.close();
    }

    static Response register(String token, Object body) {
        return given().header("Authorization", token).contentType(ContentType.JSON).body(body).post("/v1/webhooks");
    }

    @Test
    void anApprovedPaymentIsAnnouncedToTheAgentsWebhookWithItsToken() {
        String path = "/events-" + UUID.randomUUID();
        String id = register(AGENT, Map.of("url", receiver.url(path), "events", List.of("payment_decided"), "token", "whk-secret-1"))
                .then().statusCode(201)
                .header("Location", containsString("/v1/webhooks/whk_"))
                .body("id", startsWith("whk_"))
                .body("events", equalTo(List.of("payment_decided")))
                .body("has_token", equalTo(true))
                .body("$", not(hasKey("token")))
                .extract().path("id");

        Response pending = given().header("Authorization", AGENT).contentType(ContentType.JSON)
                .body(Map.of("task", "t-" + UUID.randomUUID(), "purpose", "webhook test",
                        "request", Map.of("method", "GET", "url", seller.baseUrl() + "/dataset")))
                .post("/v1/payments");
        pending.then().statusCode(202);
        given().header("Authorization", APPROVER).contentType(ContentType.JSON)
                .body(Map.of("decision", "approve", "note", "go", "task_budget", Map.of("amount", "150.00", "ttl", "1h")))
                .post("/v1/approvals/" + pending.path("approval.id")).then().statusCode(200);

        AgentWebhook.Received event = receiver.await(r -> r.path().equals(path), Duration.ofSeconds(30));
        assertEquals("Bearer whk-secret-1", event.header("Authorization"));
        assertTrue(event.header("Content-Type").startsWith("application/json"));
        assertEquals("payment_decided", event.body().path("type").asText());
        assertTrue(event.body().path("id").asText().startsWith("evt_"));
        assertEquals(pending.path("id").toString(), event.body().path("data").path("payment_id").asText());
        assertEquals("paid", event.body().path("data").path("status").asText());
        assertEquals("qa-approver", event.body().path("data").path("decided_by").asText());
        assertEquals("150.00", event.body().path("data").path("revisions").path("task_budget").path("amount").asText());
        assertEquals("qa-agent", event.body().path("agent").asText());

        // Another agent neither sees nor removes it; its owner does.
        given().header("Authorization", OTHER_AGENT).get("/v1/webhooks").then().body("id", not(org.hamcrest.Matchers.hasItem(id)));
        given().header("Authorization", OTHER_AGENT).delete("/v1/webhooks/" + id).then().statusCode(404);
        given().header("Authorization", AGENT).get("/v1/webhooks").then().body("id", org.hamcrest.Matchers.hasItem(id));
        given().header("Authorization", AGENT).delete("/v1/webhooks/" + id).then().statusCode(204);
        given().header("Authorization", AGENT).get("/v1/webhooks").then().body("id", not(org.hamcrest.Matchers.hasItem(id)));
    }

    @Test
    void badRegistrationsAreProblemsAndPrivateAddressesAreRefused() {
        register(AGENT, Map.of("url", receiver.url("/x"), "events", List.of("everything"))).then().statusCode(400)
                .contentType("application/problem+json").body("detail", containsString("grant_ready"));
        register(AGENT, Map.of("url", receiver.url("/x"))).then().statusCode(400);
        register(AGENT, Map.of("url", "https://localhost:" + receiver.port() + "/x", "events", List.of("grant_ready")))
                .then().statusCode(400).contentType("application/problem+json")
                .body("type", equalTo("https://mpp-broker.dev/problems/webhook-url-refused"))
                .body("detail", org.hamcrest.Matchers.anyOf(containsString("resolves to 127.0.0.1,"),
                        containsString("resolves to 0:0:0:0:0:0:0:1,")));
        register(AGENT, Map.of("url", "https://169.254.169.254/latest", "events", List.of("grant_ready")))
                .then().statusCode(400).body("detail", containsString("resolves to 169.254.169.254"));
        register(APPROVER, Map.of("url", receiver.url("/x"), "events", List.of("grant_ready"))).then().statusCode(403);
        given().contentType(ContentType.JSON).body(Map.of("url", receiver.url("/x"), "events", List.of("grant_ready")))
                .post("/v1/webhooks").then().statusCode(401);
        given().header("Authorization", OTHER_AGENT).get("/v1/webhooks").then().statusCode(200).body("$", hasSize(0));
    }
}
