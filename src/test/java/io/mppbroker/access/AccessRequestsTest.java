package io.mppbroker.access;

import static io.mppbroker.slack.FakeSlackResource.CHANNEL;
import static io.mppbroker.slack.FakeSlackResource.FIN1;
import static io.mppbroker.slack.FakeSlackResource.SIGNING_SECRET;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.mppbroker.approval.Approval;
import io.mppbroker.audit.AuditChain;
import io.mppbroker.audit.AuditEvent;
import io.mppbroker.payment.FakeStripeResource;
import io.mppbroker.slack.FakeSlackResource;
import io.mppbroker.testkit.FakeSlack;
import io.quarkus.arc.Arc;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.panache.common.Sort;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Access requests end to end inside one broker: a denial, the request derived from it, the least-privilege
 * proposal and its policy diff, approval (API and Slack, narrowed or not), the grant applied at once on
 * /v1/authorize and the Stripe gateway with grant_id/approved_by/expires, revocation, expiry, and the refusals.
 */
@QuarkusTest
@QuarkusTestResource(value = FakeStripeResource.class, restrictToAnnotatedClass = true)
@QuarkusTestResource(value = FakeSlackResource.class, restrictToAnnotatedClass = true)
class AccessRequestsTest {

    static final String AGENT = "Bearer grants-agent-token";          // ledger-agent, project grants
    static final String QUIET_AGENT = "Bearer grants-agent2-token";   // quiet-agent, project grants, never denied
    static final String APPROVER = "Bearer grants-approver-token";
    static final String FIN1_TOKEN = "Bearer slack-fin1-token";        // fin-approver-1, also U0FIN1 on Slack
    static final String OTHER_AGENT = "Bearer noaccess-agent-token";   // project noaccess, no grants
    static final String OTHER_APPROVER = "Bearer access-approver-token";

    /** What IssuedGrants logs, to check the reload line word for word. */
    static final List<String> LOG = new java.util.concurrent.CopyOnWriteArrayList<>();
    static final Handler CAPTURE = new Handler() {
        @Override
        public void publish(LogRecord r) {
            if (r.getLevel().intValue() >= Level.INFO.intValue()) {
                LOG.add(r.getParameters() == null || r.getParameters().length == 0 ? r.getMessage()
                        : String.format(r.getMessage().replace("%s", "%s"), r.getParameters()));
            }
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    };

    @TestHTTPResource("/slack/interactivity")
    URI interactivity;

    @BeforeAll
    static void start() {
        RestAssured.enableLoggingOfRequestAndResponseIfValidationFails();
        Logger.getLogger(IssuedGrants.class.getName()).addHandler(CAPTURE);
        FakeStripeResource.stripe().seedCharge(FakeStripeResource.BROKER_KEY, 4200, "usd");
    }

    @AfterAll
    static void stop() {
        Logger.getLogger(IssuedGrants.class.getName()).removeHandler(CAPTURE);
    }

    // ---- the scenario through the API ----

    @Test
    void aDenialBecomesARequestWhoseApprovalAppliesAtOnceAndCanBeRevoked() {
        String resource = "stripe.com/v1/charges/ch_" + System.nanoTime();
        authorize(AGENT, "stripe:charges:read", resource).then().statusCode(403);

        Response created = request(AGENT, Map.of("justification", "reconcile November charges against the ledger"));
        created.then().statusCode(201).contentType(ContentType.JSON)
                .header("Location", org.hamcrest.Matchers.containsString("/v1/access-requests/acr_"))
                .body("status", equalTo("pending"))
                .body("project", equalTo("grants"))
                .body("agent", equalTo("ledger-agent"))
                .body("action", equalTo("stripe:charges:read"))
                .body("resource", equalTo(resource))
                .body("ttl", equalTo("24h"))
                .body("proposal.grant.service", equalTo("stripe"))
                .body("proposal.grant.actions", equalTo(List.of("charges:read")))
                .body("proposal.grant.resources", equalTo(List.of(resource)))
                .body("proposal.grant.branches", equalTo(List.of()))
                .body("proposal.grant.expires_in", equalTo("24h"));
        String id = created.path("id");
        String approvalId = created.path("approval_id");
        assertTrue(id.startsWith("acr_") && approvalId.startsWith("apr_"), id + " " + approvalId);
        assertNotNull(created.path("derived_from"), "derived from the denial's audit line");
        String diff = created.path("proposal.diff");
        assertTrue(diff.startsWith("--- a/grants.yaml\n+++ b/grants.yaml\n@@ "), diff);
        assertTrue(diff.contains("""
                   - id: tools-read
                     service: tools
                     actions: [Read]
                +  - service: stripe
                +    actions: ["charges:read"]
                +    resources: ["%s"]
                +    expires: "20""".formatted(resource)), diff);
        List<Map<String, Object>> lines = accessLines(id);
        assertEquals(List.of("access_request.created", "access_request.proposed"), events(lines));
        assertEquals("stripe:charges:read", lines.get(0).get("action"));
        assertEquals(resource, lines.get(0).get("resource"));

        // the approver sees it with its card; an agent never approves, not even its own request
        List<Map<String, Object>> pending = given().header("Authorization", APPROVER).get("/v1/approvals")
                .then().statusCode(200).extract().jsonPath().getList("findAll { it.approval.id == '" + approvalId + "' }");
        assertEquals(1, pending.size());
        JsonPath first = JsonPath.from(given().header("Authorization", APPROVER).get("/v1/approvals").asString());
        assertEquals(id, first.getString("find { it.approval.id == '" + approvalId + "' }.access_request.id"));
        assertEquals(diff, first.getString("find { it.approval.id == '" + approvalId + "' }.card.access.diff"));
        decide(AGENT, approvalId, Map.of("decision", "approve")).then().statusCode(403)
                .body("type", equalTo("https://mpp-broker.dev/problems/agents-cannot-approve"));
        decide(OTHER_APPROVER, approvalId, Map.of("decision", "approve")).then().statusCode(403);
        assertEquals("pending", view(AGENT, id).getString("status"));

        Response decided = decide(APPROVER, approvalId, Map.of("decision", "approve", "note", "for the month-end run"));
        decided.then().statusCode(200).body("outcome", equalTo("approved"))
                .body("access_request.status", equalTo("approved"))
                .body("access_request.decided_by", equalTo("grants-approver"))
                .body("access_request.grant.approved_by", equalTo("grants-approver"))
                .body("access_request.grant.actions", equalTo(List.of("charges:read")))
                .body("access_request.grant.resources", equalTo(List.of(resource)))
                .body("access_request.grant.status", equalTo("active"));
        String grantId = decided.path("access_request.grant.id");
        String expires = decided.path("access_request.grant.expires_at");
        assertTrue(grantId.startsWith("grt_"), grantId);

        // applies at once, with who approved it and until when, in the answer and the audit line
        authorize(AGENT, "stripe:charges:read", resource).then().statusCode(200)
                .body("decision", equalTo("ALLOW")).body("grant_id", equalTo(grantId))
                .body("approved_by", equalTo("grants-approver")).body("expires", equalTo(expires));
        Map<String, Object> allow = lastLine("ledger-agent", "access");
        assertEquals("ALLOW", allow.get("decision"));
        assertEquals(grantId, allow.get("grant_id"));
        assertEquals("grants-approver", allow.get("approved_by"));
        assertEquals(expires, allow.get("expires"));
        assertEquals(200, allow.get("http_status"));
        // and nothing beside what was asked
        authorize(AGENT, "stripe:charges:write", resource).then().statusCode(403);
        authorize(AGENT, "stripe:charges:read", resource + "x").then().statusCode(403);
        authorize(QUIET_AGENT, "stripe:charges:read", resource).then().statusCode(200); // a project grant: its agents
        authorize(OTHER_AGENT, "stripe:charges:read", resource).then().statusCode(403);
        assertTrue(LOG.contains("policy reloaded for grants (1 grant added)"), LOG.toString());

        // listed for the agent and the approver, not for another project
        assertTrue(given().header("Authorization", AGENT).get("/v1/grants").then().statusCode(200).extract()
                .jsonPath().getList("id").contains(grantId));
        assertTrue(given().header("Authorization", APPROVER).get("/v1/grants").jsonPath().getList("id").contains(grantId));
        assertFalse(given().header("Authorization", OTHER_AGENT).get("/v1/grants").jsonPath().getList("id").contains(grantId));

        // revocation: never by an agent, at once by an approver
        given().header("Authorization", AGENT).post("/v1/grants/" + grantId + "/revoke").then().statusCode(403);
        given().header("Authorization", OTHER_APPROVER).post("/v1/grants/" + grantId + "/revoke").then().statusCode(404);
        given().header("Authorization", APPROVER).contentType(ContentType.JSON).body(Map.of("note", "run finished"))
                .post("/v1/grants/" + grantId + "/revoke").then().statusCode(200)
                .body("status", equalTo("revoked")).body("revoked_by", equalTo("grants-approver"));
        authorize(AGENT, "stripe:charges:read", resource).then().statusCode(403);
        given().header("Authorization", APPROVER).post("/v1/grants/" + grantId + "/revoke").then().statusCode(409);
        assertFalse(given().header("Authorization", AGENT).get("/v1/grants").jsonPath().getList("id").contains(grantId));
        assertEquals("revoked", view(AGENT, id).getString("grant.status"));
        assertTrue(LOG.contains("policy reloaded for grants (1 grant revoked)"), LOG.toString());
        assertEquals(List.of("access_request.created", "access_request.proposed", "access_request.approved",
                "grant.added", "grant.revoked"), events(accessLines(id)));
        Map<String, Object> added = accessLines(id).get(3);
        assertEquals(grantId, added.get("grant_id"));
        assertEquals("grants-approver", added.get("approved_by"));
        assertEquals(expires, added.get("expires"));
    }

    @Test
    void aResentRequestWithItsIdempotencyKeyAsksTheHumansOnce() throws Exception {
        String key = "acr-key-" + UUID.randomUUID();
        Map<String, Object> body = Map.of("justification", "read one charge for the audit", "action", "stripe:charges:read",
                "resource", "stripe.com/v1/charges/ch_idem_" + System.nanoTime());
        long approvalsBefore = QuarkusTransaction.requiringNew().call(() -> Approval.count());
        ExecutorService pool = Executors.newFixedThreadPool(6);
        List<Future<Response>> sent = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            sent.add(pool.submit(() -> given().header("Authorization", AGENT).header("Idempotency-Key", key)
                    .contentType(ContentType.JSON).body(body).post("/v1/access-requests")));
        }
        Set<String> ids = new HashSet<>();
        for (Future<Response> f : sent) {
            Response r = f.get(60, TimeUnit.SECONDS);
            assertEquals(201, r.statusCode(), r.asString());
            ids.add(r.path("id"));
        }
        pool.shutdown();
        assertEquals(1, ids.size(), "one request for one key: " + ids);
        assertEquals(approvalsBefore + 1, QuarkusTransaction.requiringNew().call(() -> Approval.count()),
                "one approval asked of the humans");
        String id = ids.iterator().next();
        assertEquals(1, events(accessLines(id)).stream().filter("access_request.created"::equals).count());

        given().header("Authorization", AGENT).header("Idempotency-Key", key).contentType(ContentType.JSON)
                .body(Map.of("justification", "something else", "action", "stripe:charges:read")).post("/v1/access-requests")
                .then().statusCode(422).contentType("application/problem+json")
                .body("access_request_id", equalTo(id));
        given().header("Authorization", AGENT).header("Idempotency-Key", "k".repeat(256)).contentType(ContentType.JSON)
                .body(body).post("/v1/access-requests")
                .then().statusCode(400).contentType("application/problem+json")
                .body("detail", org.hamcrest.Matchers.containsString("Idempotency-Key"));
    }

    @Test
    void theWaitingAgentIsWokenByTheDecision() throws Exception {
        Response created = request(AGENT, Map.of("justification", "needs the refunds list", "action", "stripe:refunds:read",
                "resource", "stripe.com/v1/refunds"));
        String id = created.path("id");
        CompletableFuture<Response> held = CompletableFuture.supplyAsync(() ->
                given().header("Authorization", AGENT).header("Prefer", "wait=30").get("/v1/access-requests/" + id));
        Thread.sleep(500);
        decide(APPROVER, created.path("approval_id"), Map.of("decision", "deny", "note", "use the export")).then().statusCode(200);
        held.get().then().statusCode(200).header("Preference-Applied", "wait=30")
                .body("status", equalTo("denied")).body("note", equalTo("use the export"))
                .body("decided_by", equalTo("grants-approver"));
        assertNull(view(AGENT, id).get("grant"));
        assertEquals(List.of("access_request.created", "access_request.proposed", "access_request.denied"),
                events(accessLines(id)));
        given().header("Authorization", AGENT).get("/v1/access-requests/" + id + "?wait=1").then().statusCode(200)
                .body("status", equalTo("denied"));
    }

    // ---- narrowing ----

    @Test
    void anApproverNarrowsTheTtlAndTheActionsButCannotWidenThem() {
        Response created = request(AGENT, Map.of("justification", "customer and charge lookups",
                "actions", List.of("stripe:charges:read", "stripe:customers:read"), "ttl", "12h"));
        String approvalId = created.path("approval_id");
        assertEquals(List.of(), created.path("proposal.grant.resources"), "no resource asked: none added");

        decide(APPROVER, approvalId, Map.of("decision", "approve", "ttl", "13h")).then().statusCode(400)
                .contentType("application/problem+json");
        decide(APPROVER, approvalId, Map.of("decision", "approve", "actions", List.of("stripe:charges:write"))).then().statusCode(400);
        decide(APPROVER, approvalId, Map.of("decision", "approve", "actions", List.of("stripe:*"))).then().statusCode(400);
        decide(APPROVER, approvalId, Map.of("decision", "approve", "max_amount", "10.00")).then().statusCode(400);
        decide(APPROVER, approvalId, Map.of("decision", "deny", "ttl", "1h")).then().statusCode(400);
        assertEquals("pending", view(APPROVER, created.path("id")).getString("status"), "a refused answer changes nothing");

        Instant before = Instant.now();
        Response decided = decide(APPROVER, approvalId, Map.of("decision", "approve", "ttl", "2h",
                "actions", List.of("stripe:customers:read")));
        decided.then().statusCode(200).body("access_request.grant.actions", equalTo(List.of("customers:read")))
                .body("approval.revisions.ttl", equalTo("2h"))
                .body("approval.revisions.actions", equalTo(List.of("stripe:customers:read")));
        Instant expires = Instant.parse(decided.path("access_request.grant.expires_at"));
        assertFalse(expires.isBefore(before.plus(Duration.ofHours(2))), expires.toString());
        assertTrue(expires.isBefore(Instant.now().plus(Duration.ofHours(2)).plusSeconds(1)), expires.toString());
        authorize(AGENT, "stripe:customers:read", "stripe.com/v1/customers").then().statusCode(200);
        authorize(AGENT, "stripe:charges:read", "stripe.com/v1/charges").then().statusCode(403);
    }

    // ---- expiry ----

    @Test
    void aGrantExpiresByItselfAndTheExpiryIsAuditedOnce() {
        Response created = request(AGENT, Map.of("justification", "one quick look", "action", "stripe:balance:read",
                "resource", "stripe.com/v1/balance", "ttl", "3s"));
        String id = created.path("id");
        Response decided = decide(APPROVER, created.path("approval_id"), Map.of("decision", "approve"));
        String grantId = decided.path("access_request.grant.id");
        Instant expires = Instant.parse(decided.path("access_request.grant.expires_at"));
        Response first = authorize(AGENT, "stripe:balance:read", "stripe.com/v1/balance");
        if (Instant.now().isBefore(expires.minusMillis(500))) {
            first.then().statusCode(200).body("grant_id", equalTo(grantId));
        }
        await(() -> Optional.of(authorize(AGENT, "stripe:balance:read", "stripe.com/v1/balance")).filter(r -> r.statusCode() == 403),
                "DENY after expiry");
        assertFalse(Instant.now().isBefore(expires), "never denied before it expired");
        await(() -> Optional.of(accessLines(id)).filter(l -> events(l).contains("grant.expired")), "grant.expired line");
        await(() -> Optional.of(view(AGENT, id)).filter(v -> "expired".equals(v.getString("grant.status"))), "view shows expiry");
        await(() -> Optional.of(LOG).filter(l -> l.contains("policy reloaded for grants (1 grant expired)")), "expiry reload logged");
        assertEquals(1, events(accessLines(id)).stream().filter("grant.expired"::equals).count());
        assertEquals("approved", view(AGENT, id).getString("status"), "the request was approved; its grant expired");
    }

    // ---- Slack and the Stripe gateway ----

    @Test
    void approvedOnSlackTheStripeGatewayLetsTheRetryThrough() {
        given().header("Authorization", AGENT).get("/stripe/v1/charges").then().statusCode(403)
                .body("decision", equalTo("DENY")).body("action", equalTo("stripe:charges:read"));
        Response created = request(AGENT, Map.of("justification", "list charges for reconciliation"));
        created.then().statusCode(201).body("action", equalTo("stripe:charges:read"))
                .body("resource", equalTo("stripe.com/v1/charges"));
        String id = created.path("id");
        String approvalId = created.path("approval_id");

        FakeSlack.PostedMessage card = awaitCard(approvalId);
        String text = texts(card.blocks());
        for (String expected : List.of("ledger-agent", "grants", "stripe:charges:read", "stripe.com/v1/charges", "24h",
                "list charges for reconciliation", "+    actions: [\"charges:read\"]", "+    resources: [\"stripe.com/v1/charges\"]")) {
            assertTrue(text.contains(expected), "card lacks " + expected + ": " + text);
        }
        assertTrue(card.text().startsWith("Access request: stripe:charges:read on stripe.com/v1/charges"), card.text());
        assertEquals(List.of("approve", "deny", "revise"), buttons(card.blocks()));

        assertEquals(200, FakeSlackResource.slack().clickButton(FIN1, CHANNEL, card.ts(), "approve").signed(SIGNING_SECRET)
                .post(interactivity).statusCode());
        JsonPath approved = await(() -> Optional.of(view(AGENT, id)).filter(v -> "approved".equals(v.getString("status"))),
                "approved on Slack");
        assertEquals("fin-approver-1", approved.getString("decided_by"));
        String grantId = approved.getString("grant.id");

        Response retry = given().header("Authorization", AGENT).get("/stripe/v1/charges");
        retry.then().statusCode(200).body("object", equalTo("list"));
        Map<String, Object> line = lastLine("ledger-agent", "access");
        assertEquals("ALLOW", line.get("decision"));
        assertEquals("stripe:charges:read", line.get("action"));
        assertEquals(grantId, line.get("grant_id"));
        assertEquals("fin-approver-1", line.get("approved_by"));
        assertEquals(approved.getString("grant.expires_at"), line.get("expires"));
        await(() -> FakeSlackResource.slack().message(CHANNEL, card.ts())
                .filter(m -> texts(m.blocks()).contains("*Approved* by fin-approver-1 via slack")), "card updated");

        given().header("Authorization", APPROVER).post("/v1/grants/" + grantId + "/revoke").then().statusCode(200);
        given().header("Authorization", AGENT).get("/stripe/v1/charges").then().statusCode(403);
    }

    @Test
    void narrowedInSlacksFormTheGrantIsShorter() {
        Response created = request(AGENT, Map.of("justification", "payouts check", "actions",
                List.of("stripe:payouts:read", "stripe:transfers:read"), "ttl", "48h"));
        String id = created.path("id");
        String approvalId = created.path("approval_id");
        FakeSlack.PostedMessage card = awaitCard(approvalId);
        assertEquals(200, FakeSlackResource.slack().clickButton(FIN1, CHANNEL, card.ts(), "revise").signed(SIGNING_SECRET)
                .post(interactivity).statusCode());
        FakeSlack.OpenedView form = await(() -> FakeSlackResource.slack().views().stream()
                .filter(v -> v.privateMetadata().contains(approvalId)).findFirst(), "narrow form");
        assertEquals("mpp_narrow", form.callbackId());

        Instant before = Instant.now();
        assertEquals(200, FakeSlackResource.slack().viewSubmission(form.id())
                .input("ttl", "value", "1h")
                .input("actions", "value", "stripe:payouts:read")
                .build().signed(SIGNING_SECRET).post(interactivity).statusCode());
        JsonPath approved = await(() -> Optional.of(view(AGENT, id)).filter(v -> "approved".equals(v.getString("status"))),
                "approved narrowed");
        assertEquals(List.of("payouts:read"), approved.getList("grant.actions"));
        Instant expires = Instant.parse(approved.getString("grant.expires_at"));
        assertFalse(expires.isBefore(before.plus(Duration.ofHours(1))));
        assertTrue(expires.isBefore(Instant.now().plus(Duration.ofHours(1)).plusSeconds(1)), expires.toString());
        authorize(AGENT, "stripe:transfers:read", "stripe.com/v1/transfers").then().statusCode(403);
        authorize(AGENT, "stripe:payouts:read", "stripe.com/v1/payouts").then().statusCode(200);
    }

    // ---- separation of duties, other nodes ----

    @Test
    void theOwnerOfTheAgentCannotApproveItsAccessButAnotherApproverCan() {
        Response created = request(QUIET_AGENT, Map.of("justification", "read the invoices", "action", "stripe:invoices:read",
                "resource", "stripe.com/v1/invoices"));
        String approvalId = created.path("approval_id");
        decide(APPROVER, approvalId, Map.of("decision", "approve")).then().statusCode(403)
                .body("type", equalTo("https://mpp-broker.dev/problems/separation-of-duties"));
        assertEquals("pending", view(QUIET_AGENT, created.path("id")).getString("status"));
        decide(FIN1_TOKEN, approvalId, Map.of("decision", "approve")).then().statusCode(200)
                .body("access_request.grant.approved_by", equalTo("fin-approver-1"));
        authorize(QUIET_AGENT, "stripe:invoices:read", "stripe.com/v1/invoices").then().statusCode(200)
                .body("approved_by", equalTo("fin-approver-1"));
    }

    /** Another node approved: the row is in the database, this node got no wake-up; its poll picks the grant up. */
    @Test
    void aGrantIssuedByAnotherNodeIsSeenWithoutAWakeUp() {
        String resource = "stripe.com/v1/disputes/dp_" + System.nanoTime();
        Response created = request(AGENT, Map.of("justification", "dispute evidence", "action", "stripe:disputes:read",
                "resource", resource));
        String id = created.path("id");
        String approvalId = created.path("approval_id");
        authorize(AGENT, "stripe:disputes:read", resource).then().statusCode(403);
        String grantId = "grt_othernode" + System.nanoTime();
        QuarkusTransaction.requiringNew().run(() -> {
            Instant now = Instant.now();
            IssuedGrant g = new IssuedGrant();
            g.id = grantId;
            g.project = "grants";
            g.service = "stripe";
            g.actions = List.of("disputes:read");
            g.resources = List.of(resource);
            g.branches = List.of();
            g.expiresAt = now.plus(Duration.ofHours(1)).truncatedTo(java.time.temporal.ChronoUnit.MICROS);
            g.approvedBy = "fin-approver-1";
            g.approvalId = approvalId;
            g.accessRequestId = id;
            g.createdAt = now;
            g.persist();
        });
        await(() -> Optional.of(authorize(AGENT, "stripe:disputes:read", resource)).filter(r -> r.statusCode() == 200), "ALLOW")
                .then().body("grant_id", equalTo(grantId)).body("approved_by", equalTo("fin-approver-1"));
    }

    // ---- refusals ----

    @Test
    void anAgentRequestsForItsOwnProjectOnly() {
        Response r = request(AGENT, Map.of("justification", "x", "action", "stripe:charges:read", "project", "access"));
        r.then().statusCode(403).contentType("application/problem+json")
                .body("type", equalTo("https://mpp-broker.dev/problems/other-project"));
        request(AGENT, Map.of("justification", "x", "action", "stripe:charges:read", "project", "grants")).then().statusCode(201);
        request(APPROVER, Map.of("justification", "x", "action", "stripe:charges:read")).then().statusCode(403);
        given().contentType(ContentType.JSON).body(Map.of("justification", "x")).post("/v1/access-requests").then().statusCode(401);
    }

    @Test
    void badRequestsAreProblems() {
        for (Map<String, Object> bad : List.of(
                Map.<String, Object>of("action", "stripe:charges:read"),
                Map.<String, Object>of("justification", " ", "action", "stripe:charges:read"),
                Map.<String, Object>of("justification", "x", "action", "charges"),
                Map.<String, Object>of("justification", "x", "action", "stripe:*"),
                Map.<String, Object>of("justification", "x", "action", "stripe:charges:*"),
                Map.<String, Object>of("justification", "x", "action", "stripe:charges:read", "ttl", "8d"),
                Map.<String, Object>of("justification", "x", "action", "stripe:charges:read", "ttl", "soon"),
                Map.<String, Object>of("justification", "x", "action", "stripe:charges:read", "ttl", "0s"),
                Map.<String, Object>of("justification", "x", "actions", List.of("stripe:charges:read", "git:push")),
                Map.<String, Object>of("justification", "x", "resource", "stripe.com/v1/charges"),
                Map.<String, Object>of("justification", "x", "action", "git:push", "context", Map.of("branch", 7)),
                // patterns would make the grant broader than the request
                Map.<String, Object>of("justification", "x", "action", "aws:s3:GetObject", "resource", "arn:aws:s3:::*"),
                Map.<String, Object>of("justification", "x", "action", "aws:s3:GetObject", "resource", "arn:aws:s3:::ledger-?"),
                Map.<String, Object>of("justification", "x", "action", "git:push", "resource", "acme/billing-ledger",
                        "context", Map.of("branch", "*")))) {
            request(AGENT, bad).then().statusCode(400).contentType("application/problem+json");
        }
        // a denial of a pattern cannot become a grant of that pattern either
        authorize(AGENT, "aws:s3:DeleteObject", "arn:aws:s3:::*").then().statusCode(403);
        request(AGENT, Map.of("justification", "x", "action", "aws:s3:DeleteObject")).then().statusCode(400)
                .body("detail", org.hamcrest.Matchers.containsString("is a pattern"));
        // nothing to derive from: this agent was never denied
        request(QUIET_AGENT, Map.of("justification", "x")).then().statusCode(400)
                .body("detail", org.hamcrest.Matchers.containsString("no denied access"));
        // already allowed by the policy file
        request(AGENT, Map.of("justification", "x", "action", "tools:Read")).then().statusCode(409)
                .body("type", equalTo("https://mpp-broker.dev/problems/already-allowed"));
        given().header("Authorization", OTHER_AGENT).get("/v1/access-requests/acr_nope").then().statusCode(404);
    }

    @Test
    void gitRequestsCarryTheBranchOfTheContext() {
        Response created = request(AGENT, Map.of("justification", "fix the FX rounding", "action", "git:push",
                "resource", "acme/billing-ledger", "context", Map.of("branch", "feature/fx"), "ttl", "2h"));
        created.then().statusCode(201).body("proposal.grant.branches", equalTo(List.of("feature/fx")))
                .body("proposal.diff", org.hamcrest.Matchers.containsString("+    branches: [\"feature/fx\"]"));
        // another project's agent cannot read it
        given().header("Authorization", OTHER_AGENT).get("/v1/access-requests/" + created.path("id")).then().statusCode(404);
        given().header("Authorization", AGENT).delete("/v1/access-requests/" + created.path("id")).then().statusCode(200)
                .body("status", equalTo("withdrawn"));
        decide(APPROVER, created.path("approval_id"), Map.of("decision", "approve")).then().statusCode(409);
    }

    // ---- helpers ----

    static Response request(String token, Map<String, Object> body) {
        return given().header("Authorization", token).contentType(ContentType.JSON).body(body).post("/v1/access-requests");
    }

    static Response authorize(String token, String action, String resource) {
        return given().header("Authorization", token).contentType(ContentType.JSON)
                .body(Map.of("action", action, "resource", resource)).post("/v1/authorize");
    }

    static Response decide(String token, String approvalId, Map<String, Object> body) {
        return given().header("Authorization", token).contentType(ContentType.JSON).body(body).post("/v1/approvals/" + approvalId);
    }

    static JsonPath view(String token, String id) {
        return given().header("Authorization", token).get("/v1/access-requests/" + id).then().statusCode(200).extract().jsonPath();
    }

    static List<Map<String, Object>> accessLines(String accessRequestId) {
        sealAuditLines();
        return QuarkusTransaction.requiringNew().call(() -> AuditEvent.<AuditEvent>list("project = ?1", Sort.ascending("seq"), "grants")
                .stream().map(e -> e.line).filter(l -> accessRequestId.equals(l.get("access_request_id")))
                .filter(l -> !String.valueOf(l.get("event")).startsWith("notif")).toList());
    }

    /** Lines are sealed into the chain (and so into audit_event) just after their step commits; read them sealed. */
    static void sealAuditLines() {
        Arc.container().instance(AuditChain.class).get().sealPending();
    }

    static List<String> events(List<Map<String, Object>> lines) {
        return lines.stream().map(l -> (String) l.get("event")).toList();
    }

    static Map<String, Object> lastLine(String agent, String event) {
        sealAuditLines();
        return QuarkusTransaction.requiringNew().call(() -> AuditEvent.<AuditEvent>find("agent = ?1 and event = ?2",
                Sort.descending("seq"), agent, event).firstResult().line);
    }

    static FakeSlack.PostedMessage awaitCard(String approvalId) {
        return await(() -> FakeSlackResource.slack().messages(CHANNEL).stream()
                .filter(m -> m.blocks() != null && m.blocks().toString().contains(approvalId)).findFirst(), "card for " + approvalId);
    }

    static List<String> buttons(JsonNode blocks) {
        List<String> ids = new ArrayList<>();
        for (JsonNode b : blocks) {
            if ("actions".equals(b.path("type").asText())) {
                b.path("elements").forEach(e -> ids.add(e.path("action_id").asText()));
            }
        }
        return ids;
    }

    static String texts(JsonNode node) {
        StringBuilder sb = new StringBuilder();
        collect(node, sb);
        return sb.toString();
    }

    private static void collect(JsonNode node, StringBuilder sb) {
        if (node == null) return;
        if (node.isObject()) {
            JsonNode t = node.get("text");
            if (t != null && t.isTextual()) sb.append(t.asText()).append('\n');
            node.fields().forEachRemaining(e -> {
                if (!e.getKey().equals("text") || !e.getValue().isTextual()) collect(e.getValue(), sb);
            });
        } else if (node.isArray()) {
            node.forEach(n -> collect(n, sb));
        }
    }

    static <T> T await(Supplier<Optional<T>> probe, String what) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            Optional<T> value = probe.get();
            if (value.isPresent()) return value.get();
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
        throw new AssertionError("timed out waiting for " + what);
    }
}
