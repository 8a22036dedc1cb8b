package io.mppbroker.approval;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mppbroker.events.HoldReads;
import io.mppbroker.payment.FakeStripeResource;
import io.mppbroker.testkit.MppTestSeller;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Held requests, answers with revisions, routing, escalation and votes, through the HTTP API. */
@QuarkusTest
@QuarkusTestResource(value = FakeStripeResource.class, restrictToAnnotatedClass = true)
class HumansInTheLoopTest {

    @Inject
    HoldReads holdReads;
    @Inject
    HoldReads.Config holdsConfig;

    static final String AGENT = "Bearer hitl-agent-token";
    static final String FIRST = "Bearer hitl-first-token";
    static final String ESCALATION = "Bearer hitl-escalation-token";
    static final String OWNER = "Bearer hitl-owner-token";

    static MppTestSeller seller;

    @BeforeAll
    static void start() {
        RestAssured.enableLoggingOfRequestAndResponseIfValidationFails();
        seller = MppTestSeller.builder(FakeStripeResource.stripe().baseUrl()).stripeSecretKey("sk_test_hitl_seller").start();
        seller.price("GET", "/need", "30000", "usd");       // 300.00: over the 100.00 task budget
        seller.price("GET", "/ask", "5000", "usd");         // 50.00: ask tier
        seller.price("GET", "/dual", "700", "usd");         // 7.00: explicit tier of project dual
    }

    @AfterAll
    static void stop() {
        seller.close();
    }

    static Map<String, Object> fetch(String path) {
        return Map.of("task", "t-" + UUID.randomUUID(), "purpose", "hitl test",
                "request", Map.of("method", "GET", "url", seller.baseUrl() + path));
    }

    /** The same seller reached under another host name: a different seller for allowances. */
    static Map<String, Object> fetchAsLocalhost(String path) {
        return Map.of("task", "t-" + UUID.randomUUID(), "purpose", "hitl test",
                "request", Map.of("method", "GET", "url", seller.baseUrl().replace("127.0.0.1", "localhost") + path));
    }

    static Response post(String token, Object body, String prefer) {
        var spec = given().header("Authorization", token).contentType(ContentType.JSON).body(body);
        if (prefer != null) {
            spec = spec.header("Prefer", prefer);
        }
        return spec.post("/v1/payments");
    }

    static Response answer(String token, String approvalId, Map<String, Object> body) {
        return given().header("Authorization", token).contentType(ContentType.JSON).body(body)
                .post("/v1/approvals/" + approvalId);
    }

    /** The approval the approver sees for this task, once it has appeared. */
    static Map<String, Object> pendingFor(String token, String task) {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (System.nanoTime() < deadline) {
            List<Map<String, Object>> pending = given().header("Authorization", token).get("/v1/approvals")
                    .then().statusCode(200).extract().jsonPath().getList("$");
            for (Map<String, Object> p : pending) {
                @SuppressWarnings("unchecked")
                Map<String, Object> payment = (Map<String, Object>) p.get("payment");
                if (task.equals(payment.get("task"))) {
                    return p;
                }
            }
            sleep(100);
        }
        throw new AssertionError("no pending approval for " + task);
    }

    @Test
    void aHeldRequestReturnsWithTheApproversNoteAndTheRevisedBudget() throws Exception {
        Map<String, Object> body = fetch("/need");
        String task = (String) body.get("task");
        CompletableFuture<Response> held = CompletableFuture.supplyAsync(() -> post(AGENT, body, "wait=30"));

        Map<String, Object> pending = pendingFor(FIRST, task);
        @SuppressWarnings("unchecked")
        Map<String, Object> card = (Map<String, Object>) pending.get("card");
        assertEquals("300.00", card.get("amount"));
        assertEquals("over_budget", card.get("tier"));
        assertTrue(card.get("budgets").toString().contains("100.00"), card.toString());
        assertTrue(card.get("risk_flags").toString().contains("first payment to 127.0.0.1") || card.get("risk_flags").toString().contains("price drift"),
                card.toString());
        @SuppressWarnings("unchecked")
        String approvalId = (String) ((Map<String, Object>) pending.get("approval")).get("id");

        answer(FIRST, approvalId, Map.of("decision", "approve", "note", "skip DE and FR",
                "task_budget", Map.of("amount", "400.00", "ttl", "72h")))
                .then().statusCode(200).body("outcome", equalTo("approved"));

        Response r = held.get();
        r.then().statusCode(200)
                .header("Preference-Applied", "wait=30")
                .body("status", equalTo("paid"))
                .body("decision.basis", equalTo("human"))
                .body("decision.approved_by", equalTo("first-approver"))
                .body("decision.note", equalTo("skip DE and FR"))
                .body("decision.revisions.task_budget.amount", equalTo("400.00"))
                .body("decision.revisions.task_budget.task", equalTo(task))
                .body("receipt.reference", startsWith("pi_"));
    }

    @Test
    void aSellerAllowanceMakesTheNextPaymentToThatSellerAutomatic() {
        Response first = post(AGENT, fetchAsLocalhost("/ask"), null);
        first.then().statusCode(202).body("approval.tier", equalTo("ask"));
        answer(FIRST, first.path("approval.id"), Map.of("decision", "approve",
                "allow_seller", Map.of("max_amount", "60.00", "ttl", "1h"))).then().statusCode(200);
        awaitStatus(first.path("id"), "paid");

        post(AGENT, fetchAsLocalhost("/ask"), null).then().statusCode(200)
                .body("status", equalTo("paid"))
                .body("decision.tier", equalTo("auto"))
                .body("decision.rule", startsWith("grant:"))
                .body("decision.reason", containsString("first-approver"));
    }

    @Test
    void theOwnerOfAnAgentCannotApproveItsPayments() {
        Response r = post(AGENT, fetch("/ask"), null);
        answer(OWNER, r.path("approval.id"), Map.of("decision", "approve")).then().statusCode(403)
                .body("type", equalTo("https://mpp-broker.dev/problems/separation-of-duties"));
        answer("Bearer hitl-agent-token", r.path("approval.id"), Map.of("decision", "approve")).then().statusCode(403);
    }

    @Test
    void anUnansweredApprovalEscalatesThenFailsClosed() {
        Response r = post(AGENT, fetch("/ask"), null);
        String approvalId = r.path("approval.id");
        // Not asked yet: the escalation approver is on the second route.
        answer(ESCALATION, approvalId, Map.of("decision", "approve")).then().statusCode(403)
                .body("type", equalTo("https://mpp-broker.dev/problems/not-asked-yet"));
        Response denied = awaitStatus(r.path("id"), "denied");
        denied.then().body("decision.basis", equalTo("timeout"))
                .body("decision.rule", equalTo("routing.on_final_timeout"))
                .body("approval.status", equalTo("expired"));
        List<String> events = given().header("Authorization", AGENT).queryParam("task", (String) r.path("task"))
                .get("/v1/audit").then().extract().jsonPath().getList("event");
        assertTrue(events.contains("escalated") && events.contains("timeout"), events.toString());
    }

    @Test
    void theEscalationApproverCanAnswerAfterTheEscalation() {
        Response r = post(AGENT, fetch("/ask"), null);
        String approvalId = r.path("approval.id");
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        int status;
        do {
            sleep(300);
            status = answer(ESCALATION, approvalId, Map.of("decision", "approve", "note", "escalated ok")).statusCode();
        } while (status == 403 && System.nanoTime() < deadline);
        assertEquals(200, status);
        awaitStatus(r.path("id"), "paid").then().body("decision.approved_by", equalTo("escalation-approver"));
    }

    @Test
    void theExplicitTierNeedsTwoDistinctApprovers() {
        Response r = post("Bearer dual-agent-token", fetch("/dual"), null);
        r.then().statusCode(202).body("approval.tier", equalTo("explicit")).body("approval.required_approvals", equalTo(2));
        String approvalId = r.path("approval.id");
        answer("Bearer dual-a-token", approvalId, Map.of("decision", "approve")).then().statusCode(200)
                .body("outcome", equalTo("vote_recorded"))
                .body("payment.status", equalTo("pending_approval"));
        answer("Bearer dual-a-token", approvalId, Map.of("decision", "approve")).then().statusCode(409);
        answer("Bearer dual-b-token", approvalId, Map.of("decision", "approve")).then().statusCode(200)
                .body("outcome", equalTo("approved"));
        given().header("Authorization", "Bearer dual-agent-token").queryParam("wait", 20).get("/v1/payments/" + r.path("id"))
                .then().statusCode(200).body("status", equalTo("paid"));
    }

    @Test
    void aWithdrawnRequestCannotBeApprovedAnymore() {
        Response r = post(AGENT, fetch("/need"), null);
        given().header("Authorization", AGENT).delete("/v1/payments/" + r.path("id")).then().statusCode(200)
                .body("status", equalTo("withdrawn"));
        answer(FIRST, r.path("approval.id"), Map.of("decision", "approve")).then().statusCode(409)
                .body("approval_status", equalTo("withdrawn"));
    }

    /**
     * Held calls read on threads of their own (HoldReads): with every one of them stuck (a burst of re-attaching
     * agents, a slow read), an approver's answer is still taken at once, and the held agent gets it when a reader
     * is free again.
     */
    @Test
    void anApproverIsAnsweredWhileEveryHoldReaderIsBusy() throws Exception {
        Response r = post(AGENT, fetch("/ask"), null);
        r.then().statusCode(202).body("status", equalTo("pending_approval"));
        String id = r.path("id");
        CountDownLatch busy = new CountDownLatch(holdsConfig.readers());
        CountDownLatch release = new CountDownLatch(1);
        try {
            for (int i = 0; i < holdsConfig.readers(); i++) {
                holdReads.executor().execute(() -> {
                    busy.countDown();
                    try {
                        release.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
            }
            assertTrue(busy.await(10, TimeUnit.SECONDS), "every hold reader is taken");
            HttpRequest wait = HttpRequest.newBuilder(URI.create("http://localhost:" + RestAssured.port + "/v1/payments/" + id + "?wait=20"))
                    .header("Authorization", AGENT).build();
            CompletableFuture<HttpResponse<String>> held = HttpClient.newHttpClient().sendAsync(wait, HttpResponse.BodyHandlers.ofString());

            answer(FIRST, r.path("approval.id"), Map.of("decision", "deny", "note", "readers busy"))
                    .then().statusCode(200).body("outcome", equalTo("denied")).body("payment.status", equalTo("denied"));
            assertFalse(held.isDone(), "the held call waits for a hold reader");

            release.countDown();
            HttpResponse<String> answered = held.get(20, TimeUnit.SECONDS);
            assertEquals(200, answered.statusCode(), answered.body());
            assertTrue(answered.body().contains("\"denied\"") && answered.body().contains("readers busy"), answered.body());
        } finally {
            release.countDown();
        }
    }

    @Test
    void serverSentEventsStreamEveryStateUntilTheOutcome() throws Exception {
        Response r = post(AGENT, fetch("/need"), null);
        String id = r.path("id");
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://localhost:" + RestAssured.port + "/v1/payments/" + id + "/events"))
                .header("Authorization", AGENT).header("Accept", "text/event-stream").build();
        CompletableFuture<HttpResponse<java.util.stream.Stream<String>>> stream = HttpClient.newHttpClient()
                .sendAsync(request, HttpResponse.BodyHandlers.ofLines());
        sleep(500);
        answer(FIRST, r.path("approval.id"), Map.of("decision", "deny", "note", "not this quarter")).then().statusCode(200);
        List<String> data = stream.get().body().filter(l -> l.startsWith("data:")).collect(Collectors.toList());
        assertTrue(data.get(0).contains("\"pending_approval\""), data.toString());
        assertTrue(data.get(data.size() - 1).contains("\"denied\"") && data.get(data.size() - 1).contains("not this quarter"),
                data.toString());
    }

    static Response awaitStatus(String id, String status) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        Response r;
        do {
            r = given().header("Authorization", AGENT).queryParam("wait", 2).get("/v1/payments/" + id);
        } while (!status.equals(r.path("status")) && System.nanoTime() < deadline);
        assertEquals(status, r.path("status"), r.asString());
        return r;
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
