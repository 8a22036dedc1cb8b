package io.mppbroker.dashboard;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mppbroker.approval.outbox.OutboxMessage;
import io.mppbroker.payment.FakeStripeResource;
import io.mppbroker.testkit.MppTestSeller;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.restassured.path.json.JsonPath;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The dashboard's API as the page uses it: form login with the session cookie, the board, decisions, the
 * live event stream. Policy: src/test/resources/test-budgets/dash.yaml; passwords: dashboard-test.htpasswd.
 */
@QuarkusTest
@QuarkusTestResource(value = FakeStripeResource.class, restrictToAnnotatedClass = true)
class DashboardTest {

    static final String AGENT = "Bearer dash-agent-token";
    static final String FIN_TOKEN = "Bearer dash-fin-token";
    static final String COOKIE = "mpp-dashboard";
    static final ObjectMapper JSON = new ObjectMapper();

    static MppTestSeller seller;

    @BeforeAll
    static void start() {
        RestAssured.enableLoggingOfRequestAndResponseIfValidationFails();
        seller = MppTestSeller.builder(FakeStripeResource.stripe().baseUrl()).stripeSecretKey("sk_test_dash_seller").start();
        seller.price("GET", "/ask", "5000", "usd");    // 50.00: ask tier, routed to Slack and the dashboard
        seller.price("GET", "/big", "30000", "usd");   // 300.00: explicit tier, routed to Slack only
    }

    @AfterAll
    static void stop() {
        seller.close();
    }

    // ---- helpers ------------------------------------------------------------------------------------

    static String origin() {
        return "http://localhost:" + RestAssured.port;
    }

    static Response login(String id, String password, String origin) {
        return given().redirects().follow(false).header("Origin", origin)
                .formParam("j_username", id).formParam("j_password", password)
                .post("/dashboard/login");
    }

    /** Logs in and returns the session cookie's value. */
    static String session(String id) {
        Response r = login(id, id + "-pass", origin());
        r.then().statusCode(302).header("Location", endsWith("/dashboard/"));
        String cookie = r.getCookie(COOKIE);
        assertNotNull(cookie, "no session cookie for " + id);
        return cookie;
    }

    static Response decide(String session, String approvalId, Map<String, Object> body) {
        return given().cookie(COOKIE, session).header("Origin", origin()).contentType(ContentType.JSON).body(body)
                .post("/dashboard/api/approvals/" + approvalId);
    }

    static Response board(String session) {
        return given().cookie(COOKIE, session).get("/dashboard/api/board");
    }

    /** A payment parked for a human; returns the agent's 202 answer. */
    static Response park(String path) {
        Response r = given().header("Authorization", AGENT).contentType(ContentType.JSON)
                .body(Map.of("task", "t-" + UUID.randomUUID(), "purpose", "dashboard test",
                        "request", Map.of("method", "GET", "url", seller.baseUrl() + path)))
                .post("/v1/payments");
        r.then().statusCode(202).body("status", equalTo("pending_approval"));
        return r;
    }

    static Response awaitPayment(String id, Predicate<Response> done) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        Response r;
        do {
            r = given().header("Authorization", AGENT).queryParam("wait", 2).get("/v1/payments/" + id);
        } while (!done.test(r) && System.nanoTime() < deadline);
        assertTrue(done.test(r), r.asString());
        return r;
    }

    static Map<String, Object> pendingCard(Response board, String approvalId) {
        List<Map<String, Object>> pending = board.jsonPath().getList("pending");
        for (Map<String, Object> p : pending) {
            @SuppressWarnings("unchecked")
            Map<String, Object> card = (Map<String, Object>) p.get("card");
            if (approvalId.equals(card.get("approval_id"))) {
                return p;
            }
        }
        return null;
    }

    // ---- login --------------------------------------------------------------------------------------

    @Test
    void theApiNeedsALoginButThePageItselfLoads() {
        given().get("/dashboard/api/board").then().statusCode(401);
        given().get("/dashboard/api/events").then().statusCode(401);
        given().header("Origin", origin()).contentType(ContentType.JSON).body(Map.of("decision", "approve"))
                .post("/dashboard/api/approvals/apr_x").then().statusCode(401);
        // A bearer token of the HTTP API is not a dashboard session.
        given().header("Authorization", FIN_TOKEN).get("/dashboard/api/board").then().statusCode(401);
        given().get("/dashboard/").then().statusCode(200).contentType(containsString("text/html"))
                .header("Content-Security-Policy", containsString("frame-ancestors 'none'"))
                .body(containsString("Waiting for a decision"));
        given().get("/dashboard/login.html").then().statusCode(200).body(containsString("j_password"));
    }

    @Test
    void theRightPasswordOpensASessionWithTheApproversProjects() {
        Response r = login("dash-lead", "dash-lead-pass", origin());
        r.then().statusCode(302).header("Location", endsWith("/dashboard/"));
        String setCookie = r.getHeader("Set-Cookie");
        assertTrue(setCookie.toLowerCase(java.util.Locale.ROOT).contains("httponly") && setCookie.contains("SameSite=Strict")
                && setCookie.contains("Path=/dashboard/api"), setCookie);
        given().cookie(COOKIE, r.getCookie(COOKIE)).get("/dashboard/api/me").then().statusCode(200)
                .body("approver", equalTo("dash-lead")).body("projects", equalTo(List.of("dash")));
    }

    @Test
    void aWrongPasswordAnUnknownIdOrAnAccountWithoutProjectIsRefused() {
        for (String[] attempt : new String[][] {{"dash-fin", "not-the-password"}, {"nobody", "nobody-pass"},
                {"ghost-approver", "ghost-approver-pass"}}) {
            Response r = login(attempt[0], attempt[1], origin());
            r.then().statusCode(302).header("Location", endsWith("/dashboard/login.html?failed"));
            assertNull(r.getCookie(COOKIE), "session cookie after a refused login of " + attempt[0]);
        }
    }

    @Test
    void repeatedWrongPasswordsLockTheAccountForAWhile() throws Exception {
        for (int i = 0; i < LoginThrottle.FREE_FAILURES; i++) {
            login("dash-throttled", "guess-" + i, origin()).then().header("Location", endsWith("?failed"));
        }
        // Locked: even the right password is refused now.
        login("dash-throttled", "dash-throttled-pass", origin()).then().header("Location", endsWith("?failed"));
        Thread.sleep(1300);
        login("dash-throttled", "dash-throttled-pass", origin()).then().statusCode(302)
                .header("Location", endsWith("/dashboard/"));
    }

    @Test
    void crossSiteLoginsAndDecisionsAreRefused() {
        login("dash-lead", "dash-lead-pass", "https://evil.example").then()
                .header("Location", endsWith("/dashboard/login.html?failed"));

        String approvalId = park("/ask").path("approval.id");
        String lead = session("dash-lead");
        given().cookie(COOKIE, lead).header("Origin", "https://evil.example").contentType(ContentType.JSON)
                .body(Map.of("decision", "approve")).post("/dashboard/api/approvals/" + approvalId)
                .then().statusCode(403).body("type", endsWith("/cross-site-request"));
        given().cookie(COOKIE, lead).contentType(ContentType.JSON) // no Origin at all
                .body(Map.of("decision", "approve")).post("/dashboard/api/approvals/" + approvalId)
                .then().statusCode(403);
        assertEquals("pending", pendingCardStatus(lead, approvalId));
    }

    static String pendingCardStatus(String session, String approvalId) {
        @SuppressWarnings("unchecked")
        Map<String, Object> card = (Map<String, Object>) pendingCard(board(session), approvalId).get("card");
        return (String) card.get("status");
    }

    // ---- what an approver sees and decides -----------------------------------------------------------

    @Test
    void theBoardShowsTheCardWithItsRiskFlagsAndADecisionPaysTheSeller() {
        Response parked = park("/ask");
        String approvalId = parked.path("approval.id");
        String paymentId = parked.path("id");
        String lead = session("dash-lead");

        Map<String, Object> pending = pendingCard(board(lead).then().statusCode(200).extract().response(), approvalId);
        assertNotNull(pending, "approval not on the board");
        @SuppressWarnings("unchecked")
        Map<String, Object> card = (Map<String, Object>) pending.get("card");
        assertEquals("50.00", card.get("amount"));
        assertEquals("ask", card.get("tier"));
        assertEquals("dash-agent", card.get("agent"));
        assertTrue(card.get("risk_flags").toString().contains("first payment to 127.0.0.1")
                || card.get("risk_flags").toString().contains("price drift"), card.toString());
        assertEquals(true, pending.get("may_answer"));
        assertEquals(true, pending.get("may_approve"));

        decide(lead, approvalId, Map.of("decision", "approve", "note", "ok from the dashboard",
                "task_budget", Map.of("amount", "400.00", "ttl", "72h")))
                .then().statusCode(200).body("outcome", equalTo("approved"))
                .body("card.status", equalTo("approved")).body("card.decided_via", equalTo("dashboard"));

        awaitPayment(paymentId, r -> "paid".equals(r.path("status"))).then()
                .body("decision.approved_by", equalTo("dash-lead"))
                .body("decision.note", equalTo("ok from the dashboard"))
                .body("decision.revisions.task_budget.amount", equalTo("400.00"))
                .body("approval.decided_via", equalTo("dashboard"));
        Response after = board(lead);
        assertNull(pendingCard(after, approvalId), "a decided approval is still pending on the board");
        List<Map<String, Object>> rows = after.jsonPath().getList("requests.findAll { it.approval_id == '" + approvalId + "' }");
        assertEquals(1, rows.size(), after.asString());
        assertEquals("approved", rows.get(0).get("approval_status"));
        assertEquals("paid", rows.get(0).get("payment_status"));
        assertEquals("dashboard", rows.get(0).get("decided_via"));
    }

    @Test
    void anAccessRequestIsShownListedAndNarrowedFromTheDashboard() {
        String why = "reconcile charges " + UUID.randomUUID();
        Response created = given().header("Authorization", AGENT).contentType(ContentType.JSON)
                .body(Map.of("justification", why, "actions", List.of("stripe:charges:read", "stripe:customers:read"),
                        "resource", "stripe.com/v1/charges", "ttl", "24h"))
                .post("/v1/access-requests");
        created.then().statusCode(201);
        String requestId = created.path("id");
        String approvalId = created.path("approval_id");
        String lead = session("dash-lead");

        Response before = board(lead).then().statusCode(200).extract().response();
        Map<String, Object> pending = pendingCard(before, approvalId);
        assertNotNull(pending, "access approval not on the board");
        assertEquals(true, pending.get("may_answer"));
        JsonPath board = before.jsonPath();
        String card = "pending.find { it.card.approval_id == '" + approvalId + "' }.card.access.";
        assertEquals(List.of("stripe:charges:read", "stripe:customers:read"), board.getList(card + "actions"));
        assertEquals("24h", board.getString(card + "ttl"));
        assertEquals(why, board.getString(card + "justification"));
        assertTrue(board.getString(card + "diff").contains("charges:read"), board.getString(card + "diff"));
        String row = "requests.find { it.approval_id == '" + approvalId + "' }.";
        assertEquals("pending", board.getString(row + "approval_status"), before.asString());
        assertEquals("access", board.getString(row + "tier"));
        assertEquals(requestId, board.getString(row + "access.id"));
        assertEquals("stripe.com/v1/charges", board.getString(row + "access.resource"));
        assertEquals(why, board.getString(row + "access.justification"));
        assertTrue(board.getString(row + "access.proposal.diff").contains("customers:read"));
        assertNull(board.get(row + "access.grant"));

        // Broader than asked: refused, nothing changes.
        decide(lead, approvalId, Map.of("decision", "approve", "ttl", "48h")).then().statusCode(400)
                .contentType("application/problem+json");
        decide(lead, approvalId, Map.of("decision", "approve", "actions", List.of("stripe:charges:write"))).then().statusCode(400);
        assertEquals("pending", board(lead).jsonPath().getString(row + "access.status"));

        decide(lead, approvalId, Map.of("decision", "approve", "ttl", "2h", "actions", List.of("stripe:customers:read"),
                "note", "lookups only"))
                .then().statusCode(200).body("outcome", equalTo("approved"))
                .body("card.status", equalTo("approved")).body("card.decided_via", equalTo("dashboard"));

        JsonPath after = board(lead).jsonPath();
        assertNull(pendingCard(board(lead), approvalId), "a decided access request is still pending");
        assertEquals("approved", after.getString(row + "approval_status"));
        assertEquals("dashboard", after.getString(row + "decided_via"));
        assertEquals("lookups only", after.getString(row + "note"));
        assertEquals("approved", after.getString(row + "access.status"));
        assertEquals(List.of("customers:read"), after.getList(row + "access.grant.actions"));
        assertEquals("active", after.getString(row + "access.grant.status"));
        Instant expires = Instant.parse(after.getString(row + "access.grant.expires_at"));
        assertTrue(expires.isBefore(Instant.now().plus(Duration.ofHours(2)).plusSeconds(1)), expires.toString());
        given().header("Authorization", AGENT).get("/v1/access-requests/" + requestId).then().statusCode(200)
                .body("status", equalTo("approved")).body("decided_by", equalTo("dash-lead"))
                .body("grant.actions", equalTo(List.of("customers:read")));

        // A denial from the dashboard is listed too.
        String other = given().header("Authorization", AGENT).contentType(ContentType.JSON)
                .body(Map.of("justification", "one more " + why, "action", "stripe:balance:read", "ttl", "1h"))
                .post("/v1/access-requests").then().statusCode(201).extract().path("approval_id");
        decide(lead, other, Map.of("decision", "deny", "note", "not now")).then().statusCode(200)
                .body("outcome", equalTo("denied"));
        JsonPath denied = board(lead).jsonPath();
        String deniedRow = "requests.find { it.approval_id == '" + other + "' }.";
        assertEquals("denied", denied.getString(deniedRow + "approval_status"));
        assertEquals("denied", denied.getString(deniedRow + "access.status"));
        assertNull(denied.get(deniedRow + "access.grant"));
    }

    @Test
    void aBadRevisionIsRefusedWithTheSameRulesAsTheApi() {
        String approvalId = park("/ask").path("approval.id");
        String lead = session("dash-lead");
        decide(lead, approvalId, Map.of("decision", "deny", "max_amount", "10.00")).then().statusCode(400)
                .body("detail", containsString("only go with \"approve\""));
        decide(lead, approvalId, Map.of("decision", "approve", "task_budget", Map.of("amount", "-1", "ttl", "72h")))
                .then().statusCode(400).body("detail", containsString("task_budget.amount"));
        assertEquals("pending", pendingCardStatus(lead, approvalId));
        decide(lead, approvalId, Map.of("decision", "deny", "note", "not now")).then().statusCode(200)
                .body("outcome", equalTo("denied"));
    }

    @Test
    void whileSlackIsUnreachableTheQuestionIsDecidedInTheDashboard() {
        Response parked = park("/ask");
        String approvalId = parked.path("approval.id");
        // The route posts to Slack channel C0DASHASK; no Slack is reachable from the tests, so the card never got there.
        List<OutboxMessage> slack = QuarkusTransaction.requiringNew().call(() ->
                OutboxMessage.<OutboxMessage>list("approvalId = ?1 and channel = ?2", approvalId, "slack"));
        assertEquals(1, slack.size(), "the route did not ask Slack");
        assertTrue(slack.stream().noneMatch(m -> m.status == OutboxMessage.Status.SENT), "Slack got the card after all");

        decide(session("dash-fin"), approvalId, Map.of("decision", "approve")).then().statusCode(200)
                .body("outcome", equalTo("approved"));
        awaitPayment(parked.path("id"), r -> "paid".equals(r.path("status")));
    }

    @Test
    void aQuestionRoutedToSlackOnlyCannotBeAnsweredHere() {
        String approvalId = park("/big").path("approval.id");
        String lead = session("dash-lead");
        Map<String, Object> pending = pendingCard(board(lead), approvalId);
        assertNotNull(pending);
        assertEquals(false, pending.get("may_answer"));
        assertTrue(((String) pending.get("blocked")).contains("Slack or Telegram only"), pending.toString());
        decide(lead, approvalId, Map.of("decision", "approve")).then().statusCode(403)
                .body("type", endsWith("/not-on-dashboard"));
        // dash-fin is not on that route at all.
        decide(session("dash-fin"), approvalId, Map.of("decision", "approve")).then().statusCode(403)
                .body("type", endsWith("/not-asked-yet"));
        assertEquals("pending", pendingCardStatus(lead, approvalId));
    }

    @Test
    void anApproverOfAnotherProjectSeesNothingOfThisOne() {
        Response parked = park("/ask");
        String approvalId = parked.path("approval.id");
        String other = session("other-approver");
        Response b = board(other).then().statusCode(200).body("projects", equalTo(List.of("other"))).extract().response();
        assertFalse(b.asString().contains(approvalId), b.asString());
        assertFalse(b.asString().contains("\"dash\""), b.asString());
        decide(other, approvalId, Map.of("decision", "approve")).then().statusCode(404);
        assertEquals("pending", pendingCardStatus(session("dash-lead"), approvalId));
    }

    // ---- races --------------------------------------------------------------------------------------

    /**
     * The dashboard and the HTTP API answer the same question at the same moment, several times over: each time
     * exactly one answer decides, and the other gets a 409 naming who decided and through which channel.
     */
    @Test
    void aDashboardAnswerRacingAnApiAnswerYieldsOneDecision() throws Exception {
        String lead = session("dash-lead");
        for (int round = 0; round < 6; round++) {
            Response parked = park("/ask");
            String approvalId = parked.path("approval.id");
            CountDownLatch go = new CountDownLatch(1);
            CompletableFuture<Response> viaDashboard = CompletableFuture.supplyAsync(() -> {
                await(go);
                return decide(lead, approvalId, Map.of("decision", "approve", "note", "dashboard"));
            });
            CompletableFuture<Response> viaApi = CompletableFuture.supplyAsync(() -> {
                await(go);
                return given().header("Authorization", FIN_TOKEN).contentType(ContentType.JSON)
                        .body(Map.of("decision", "deny", "note", "api")).post("/v1/approvals/" + approvalId);
            });
            go.countDown();
            Response d = viaDashboard.get(30, TimeUnit.SECONDS);
            Response a = viaApi.get(30, TimeUnit.SECONDS);
            List<Integer> statuses = List.of(d.statusCode(), a.statusCode());
            assertTrue(statuses.contains(200) && statuses.contains(409), "round " + round + ": " + statuses
                    + "\n" + d.asString() + "\n" + a.asString());
            boolean dashboardWon = d.statusCode() == 200;
            Response loser = dashboardWon ? a : d;
            loser.then().body("type", endsWith("/approval-already-decided"))
                    .body("decided_by", equalTo(dashboardWon ? "dash-lead" : "dash-fin"))
                    .body("decided_via", equalTo(dashboardWon ? "dashboard" : "api"))
                    .body("approval_status", equalTo(dashboardWon ? "approved" : "denied"));

            Response payment = awaitPayment(parked.path("id"),
                    r -> List.of("paid", "denied").contains((String) r.path("status")));
            payment.then().body("status", equalTo(dashboardWon ? "paid" : "denied"))
                    .body("approval.decided_by", equalTo(dashboardWon ? "dash-lead" : "dash-fin"));
            List<String> decisions = given().header("Authorization", AGENT).queryParam("task", (String) parked.path("task"))
                    .get("/v1/audit").then().extract().jsonPath().getList("findAll { it.event == 'approval' }.decision");
            assertEquals(List.of(dashboardWon ? "ALLOW" : "DENY"), decisions, "round " + round);
        }
    }

    static void await(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- live list ----------------------------------------------------------------------------------

    @Test
    void theEventStreamSendsTheBoardAgainWhenAnotherChannelDecides() throws Exception {
        BlockingQueue<JsonNode> boards = new LinkedBlockingQueue<>();
        HttpResponse<InputStream> response = openEvents(session("dash-lead"), "board", boards);
        try {
            JsonNode first = boards.poll(10, TimeUnit.SECONDS);
            assertNotNull(first, "no board event when the stream opened");
            assertEquals("dash-lead", first.path("approver").asText());

            Response parked = park("/ask");
            String approvalId = parked.path("approval.id");
            awaitBoard(boards, b -> b.toString().contains(approvalId) && rowStatus(b, approvalId).equals("pending"));

            given().header("Authorization", FIN_TOKEN).contentType(ContentType.JSON)
                    .body(Map.of("decision", "approve", "note", "from the api")).post("/v1/approvals/" + approvalId)
                    .then().statusCode(200);
            JsonNode decided = awaitBoard(boards, b -> rowStatus(b, approvalId).equals("approved"));
            for (JsonNode p : decided.path("pending")) {
                assertFalse(p.path("card").path("approval_id").asText().equals(approvalId), "still pending in " + decided);
            }
            if (!rowPayment(decided, approvalId).equals("paid")) { // the broker may have paid before that board was read
                awaitBoard(boards, b -> rowPayment(b, approvalId).equals("paid"));
            }
        } finally {
            response.body().close();
        }
    }

    static String rowStatus(JsonNode board, String approvalId) {
        return row(board, approvalId).path("approval_status").asText("");
    }

    static String rowPayment(JsonNode board, String approvalId) {
        return row(board, approvalId).path("payment_status").asText("");
    }

    static JsonNode row(JsonNode board, String approvalId) {
        for (JsonNode r : board.path("requests")) {
            if (approvalId.equals(r.path("approval_id").asText())) {
                return r;
            }
        }
        return JSON.missingNode();
    }

    static JsonNode awaitBoard(BlockingQueue<JsonNode> boards, Predicate<JsonNode> wanted) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        List<JsonNode> seen = new ArrayList<>();
        while (System.nanoTime() < deadline) {
            JsonNode b = boards.poll(500, TimeUnit.MILLISECONDS);
            if (b != null) {
                seen.add(b);
                if (wanted.test(b)) {
                    return b;
                }
            }
        }
        throw new AssertionError("no such board event; got " + seen.size() + ": " + seen);
    }

    /** Opens the event stream of a session; a reader thread puts the data of each {@code name} event into {@code into}. */
    static HttpResponse<InputStream> openEvents(String session, String name, BlockingQueue<JsonNode> into) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(origin() + "/dashboard/api/events"))
                .header("Cookie", COOKIE + "=" + session).header("Accept", "text/event-stream").build();
        HttpResponse<InputStream> response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, response.statusCode());
        Thread reader = new Thread(() -> readEvents(response.body(), name, into), "sse-" + name + "-reader");
        reader.setDaemon(true);
        reader.start();
        return response;
    }

    static void readEvents(InputStream in, String name, BlockingQueue<JsonNode> events) {
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String event = null;
            StringBuilder data = new StringBuilder();
            String line;
            while ((line = lines.readLine()) != null) {
                if (line.isEmpty()) {
                    if (name.equals(event)) {
                        events.add(JSON.readTree(data.toString()));
                    }
                    event = null;
                    data.setLength(0);
                } else if (line.startsWith("event:")) {
                    event = line.substring(6).strip();
                } else if (line.startsWith("data:")) {
                    data.append(line.substring(5));
                }
            }
        } catch (Exception closed) {
            // the test closed the stream
        }
    }

    // ---- live sessions ------------------------------------------------------------------------------

    static JsonNode agentSession(JsonNode sessions, String agent) {
        for (JsonNode s : sessions.path("agents")) {
            if (agent.equals(s.path("agent").asText())) {
                return s;
            }
        }
        return JSON.missingNode();
    }

    @Test
    void liveSessionsShowEachAgentsLatestStepsInWordsAndOnlyToItsApprovers() throws Exception {
        Response parked = park("/ask");
        String paymentId = parked.path("id");
        JsonNode sessions = JSON.readTree(given().cookie(COOKIE, session("dash-fin")).get("/dashboard/api/sessions")
                .then().statusCode(200).extract().asString());
        JsonNode agent = agentSession(sessions, "dash-agent");
        assertEquals("dash", agent.path("project").asText(), sessions.toString());
        JsonNode steps = agent.path("steps");
        assertTrue(steps.size() > 0 && steps.size() <= LiveSessions.STEPS, agent.toString());
        List<String> texts = new ArrayList<>();
        long seq = 0;
        for (JsonNode step : steps) {
            assertTrue(step.path("seq").asLong() > seq, "oldest first: " + steps);
            seq = step.path("seq").asLong();
            texts.add(step.path("event").asText() + " " + step.path("decision").asText("") + " " + step.path("text").asText());
        }
        assertEquals(steps.get(steps.size() - 1).path("ts").asText(), agent.path("last_step_at").asText());
        String asked = (String) parked.path("task");
        assertTrue(texts.stream().anyMatch(t -> t.startsWith("request ") && t.contains("payment " + paymentId)), texts.toString());
        assertTrue(texts.stream().anyMatch(t -> t.startsWith("decision ASK") && t.contains("50.00")), texts.toString());
        assertTrue(steps.findValuesAsText("task").contains(asked), steps.toString());

        JsonNode other = JSON.readTree(given().cookie(COOKIE, session("other-approver")).get("/dashboard/api/sessions")
                .then().statusCode(200).extract().asString());
        assertTrue(agentSession(other, "dash-agent").isMissingNode(), other.toString());
        given().get("/dashboard/api/sessions").then().statusCode(401);
    }

    @Test
    void theEventStreamSendsTheSessionsAgainWhenAnAgentActs() throws Exception {
        BlockingQueue<JsonNode> sessions = new LinkedBlockingQueue<>();
        HttpResponse<InputStream> response = openEvents(session("dash-lead"), "sessions", sessions);
        try {
            assertNotNull(sessions.poll(10, TimeUnit.SECONDS), "no sessions event when the stream opened");
            String paymentId = park("/ask").path("id");
            long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            List<JsonNode> seen = new ArrayList<>();
            while (System.nanoTime() < deadline) {
                JsonNode s = sessions.poll(500, TimeUnit.MILLISECONDS);
                if (s != null) {
                    seen.add(s);
                    if (agentSession(s, "dash-agent").path("steps").toString().contains(paymentId)) {
                        return;
                    }
                }
            }
            throw new AssertionError("no sessions event with payment " + paymentId + "; got " + seen);
        } finally {
            response.body().close();
        }
    }

    @Test
    void signingOutClearsTheCookie() {
        String lead = session("dash-lead");
        Response r = given().cookie(COOKIE, lead).header("Origin", origin()).post("/dashboard/api/logout");
        r.then().statusCode(204);
        String setCookie = r.getHeader("Set-Cookie");
        assertTrue(setCookie != null && setCookie.startsWith(COOKIE + "=;") && setCookie.contains("Max-Age=0"), setCookie);
    }
}
