package io.mppbroker.access;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mppbroker.audit.AuditEvent;
import io.mppbroker.payment.FakeStripeResource;
import io.mppbroker.testkit.FakeStripe;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.panache.common.Sort;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Deny-by-default grants through POST /v1/authorize and the Stripe gateway, with their audit lines. */
@QuarkusTest
@QuarkusTestResource(value = FakeStripeResource.class, restrictToAnnotatedClass = true)
class AccessGrantsTest {

    static final String AGENT = "Bearer access-agent-token";           // project access, grants in access.yaml
    static final String NO_GRANTS = "Bearer noaccess-agent-token";     // project noaccess, no grants
    static final String APPROVER = "Bearer access-approver-token";
    static final Set<String> REQUIRED_KEYS = Set.of("ts", "agent", "project", "action", "resource", "decision", "reason", "http_status");

    static List<String> charges;

    @BeforeAll
    static void seed() {
        RestAssured.enableLoggingOfRequestAndResponseIfValidationFails();
        FakeStripe stripe = FakeStripeResource.stripe();
        charges = List.of(stripe.seedCharge(FakeStripeResource.BROKER_KEY, 1200, "usd"),
                stripe.seedCharge(FakeStripeResource.BROKER_KEY, 3400, "usd"),
                stripe.seedCharge(FakeStripeResource.BROKER_KEY, 5600, "usd"));
        stripe.seedCustomer(FakeStripeResource.BROKER_KEY, "ap@acme.example");
    }

    static Map<String, Object> lastAccessLine(String agent) {
        AccessRequestsTest.sealAuditLines();
        return QuarkusTransaction.requiringNew().call(() -> AuditEvent.<AuditEvent>find("agent = ?1 and event = ?2",
                Sort.descending("seq"), agent, "access").firstResult().line);
    }

    static FakeStripe.RecordedRequest lastStripeRequest() {
        List<FakeStripe.RecordedRequest> all = FakeStripeResource.stripe().requests();
        return all.get(all.size() - 1);
    }

    /** The same call made straight to Stripe with the broker's key, to compare bytes with what the gateway returns. */
    static HttpResponse<byte[]> direct(String pathAndQuery) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(FakeStripeResource.stripe().baseUrl() + pathAndQuery))
                .header("Authorization", "Bearer " + FakeStripeResource.BROKER_KEY).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void withoutGrantsTheGatewayDeniesAndAuditsTheExactLine() {
        int before = FakeStripeResource.stripe().requests().size();
        given().header("Authorization", NO_GRANTS).get("/stripe/v1/charges")
                .then().statusCode(403).contentType("application/problem+json")
                .body("decision", org.hamcrest.Matchers.equalTo("DENY"))
                .body("reason", org.hamcrest.Matchers.equalTo("no policy grants stripe:* for noaccess"));
        assertEquals(before, FakeStripeResource.stripe().requests().size(), "a denied call never reaches Stripe");

        Map<String, Object> line = lastAccessLine("noaccess-agent");
        assertTrue(line.keySet().containsAll(REQUIRED_KEYS), line.toString());
        assertEquals("noaccess-agent", line.get("agent"));
        assertEquals("noaccess", line.get("project"));
        assertEquals("stripe:charges:read", line.get("action"));
        assertEquals("stripe.com/v1/charges", line.get("resource"));
        assertEquals("DENY", line.get("decision"));
        assertEquals("no policy grants stripe:* for noaccess", line.get("reason"));
        assertEquals(403, line.get("http_status"));
        assertNull(line.get("grant_id"));
        assertTrue(String.valueOf(line.get("ts")).endsWith("Z"));
    }

    @Test
    void aGrantedListPassesThroughUnchangedWithPaginationAndTheBrokersKey() throws Exception {
        Response page1 = given().header("Authorization", AGENT).queryParam("limit", 2).get("/stripe/v1/charges");
        page1.then().statusCode(200);
        FakeStripe.RecordedRequest seen = lastStripeRequest();
        assertEquals(FakeStripe.accountOf(FakeStripeResource.BROKER_KEY), seen.account(),
                "Stripe saw the broker's key, not the agent's token (which it would refuse with 401)");
        assertEquals(200, seen.status());
        assertEquals(Map.of("limit", "2"), seen.params());
        assertEquals(seen.requestId(), page1.header("Request-Id"), "Stripe's Request-Id comes back unchanged");
        assertEquals("application/json", page1.header("Content-Type"));
        assertArrayEquals(direct("/v1/charges?limit=2").body(), page1.asByteArray(), "body bytes unchanged");
        assertEquals(List.of(charges.get(2), charges.get(1)), page1.jsonPath().getList("data.id"));
        assertEquals(true, page1.jsonPath().getBoolean("has_more"));
        assertTrue(!page1.asString().contains(FakeStripeResource.BROKER_KEY));

        Response page2 = given().header("Authorization", AGENT).queryParam("limit", 2)
                .queryParam("starting_after", charges.get(1)).get("/stripe/v1/charges");
        page2.then().statusCode(200);
        assertEquals(Map.of("limit", "2", "starting_after", charges.get(1)), lastStripeRequest().params());
        assertEquals(List.of(charges.get(0)), page2.jsonPath().getList("data.id"));
        assertEquals(false, page2.jsonPath().getBoolean("has_more"));
        assertEquals("list", page2.jsonPath().getString("object"));

        Map<String, Object> line = lastAccessLine("billing-reconciler-1");
        assertTrue(line.keySet().containsAll(REQUIRED_KEYS), line.toString());
        assertEquals("ALLOW", line.get("decision"));
        assertEquals("stripe:charges:read", line.get("action"));
        assertEquals("stripe.com/v1/charges", line.get("resource"));
        assertEquals("stripe-read", line.get("grant_id"));
        assertEquals("policy", line.get("approved_by"));
        assertTrue(line.containsKey("expires"));
        assertEquals(200, line.get("http_status"));
        assertEquals("access", line.get("project"));
    }

    @Test
    void stripeVersionAndCustomersPassThrough() {
        Response r = given().header("Authorization", AGENT).header("Stripe-Version", "2024-06-20").get("/stripe/v1/customers");
        r.then().statusCode(200);
        assertEquals("2024-06-20", lastStripeRequest().stripeVersion());
        assertEquals("2024-06-20", r.header("Stripe-Version"));
        assertEquals(List.of("ap@acme.example"), r.jsonPath().getList("data.email"));
    }

    @Test
    void stripeErrorsPassThroughWithTheirStatusAndBody() throws Exception {
        Response missing = given().header("Authorization", AGENT).get("/stripe/v1/charges/ch_doesnotexist");
        missing.then().statusCode(404);
        assertEquals(lastStripeRequest().requestId(), missing.header("Request-Id"));
        assertArrayEquals(direct("/v1/charges/ch_doesnotexist").body(), missing.asByteArray());
        assertEquals("resource_missing", missing.jsonPath().getString("error.code"));
        Map<String, Object> line = lastAccessLine("billing-reconciler-1");
        assertEquals("ALLOW", line.get("decision"));
        assertEquals(404, line.get("http_status"));
        assertEquals("stripe.com/v1/charges/ch_doesnotexist", line.get("resource"));

        Response badLimit = given().header("Authorization", AGENT).queryParam("limit", 500).get("/stripe/v1/charges");
        badLimit.then().statusCode(400);
        assertEquals("invalid_request_error", badLimit.jsonPath().getString("error.type"));
        assertEquals("limit", badLimit.jsonPath().getString("error.param"));
    }

    @Test
    void aGrantedWriteForwardsTheBodyAndIdempotencyKeyAndReplaysPassThrough() {
        String key = "idem-" + System.nanoTime();
        Response first = given().header("Authorization", AGENT).header("Idempotency-Key", key)
                .contentType("application/x-www-form-urlencoded").body("amount=2000&currency=usd&metadata[order]=o-1")
                .post("/stripe/v1/payment_intents");
        first.then().statusCode(200);
        FakeStripe.RecordedRequest seen = lastStripeRequest();
        assertEquals(Map.of("amount", "2000", "currency", "usd", "metadata[order]", "o-1"), seen.params());
        assertEquals(key, seen.idempotencyKey());
        assertEquals(FakeStripe.accountOf(FakeStripeResource.BROKER_KEY), seen.account());
        assertNull(first.header("Idempotent-Replayed"));

        Response again = given().header("Authorization", AGENT).header("Idempotency-Key", key)
                .contentType("application/x-www-form-urlencoded").body("amount=2000&currency=usd&metadata[order]=o-1")
                .post("/stripe/v1/payment_intents");
        again.then().statusCode(200);
        assertEquals("true", again.header("Idempotent-Replayed"));
        assertArrayEquals(first.asByteArray(), again.asByteArray());
        Map<String, Object> line = lastAccessLine("billing-reconciler-1");
        assertEquals("stripe:payment_intents:write", line.get("action"));
        assertEquals("stripe-intents", line.get("grant_id"));
    }

    @Test
    void writesNeedTheirOwnGrant() {
        int before = FakeStripeResource.stripe().requests().size();
        given().header("Authorization", AGENT).contentType(ContentType.URLENC).body("amount=100&currency=usd")
                .post("/stripe/v1/charges")
                .then().statusCode(403).body("reason", org.hamcrest.Matchers.equalTo("no policy grants stripe:charges:write for access"));
        assertEquals(before, FakeStripeResource.stripe().requests().size());
        Map<String, Object> line = lastAccessLine("billing-reconciler-1");
        assertEquals("stripe:charges:write", line.get("action"));
        assertEquals("DENY", line.get("decision"));
        assertEquals(403, line.get("http_status"));
    }

    @Test
    void theGatewayWantsAnAgentToken() {
        given().get("/stripe/v1/charges").then().statusCode(401);
        given().header("Authorization", APPROVER).get("/stripe/v1/charges").then().statusCode(403)
                .body("type", org.hamcrest.Matchers.endsWith("not-an-agent"));
        given().header("Authorization", AGENT).get("/stripe/v1/charges/..%2Fcustomers").then().statusCode(404);
    }

    static Response authorize(String token, Map<String, Object> body) {
        return given().header("Authorization", token).contentType(ContentType.JSON).body(body).post("/v1/authorize");
    }

    @Test
    void authorizeAwsByArn() {
        Response ok = authorize(AGENT, Map.of("action", "aws:s3:GetObject", "resource", "arn:aws:s3:::ledger-internal/2026/05/ledger.csv"));
        ok.then().statusCode(200);
        assertEquals("ALLOW", ok.jsonPath().getString("decision"));
        assertEquals("access#0", ok.jsonPath().getString("grant_id"));
        Map<String, Object> line = lastAccessLine("billing-reconciler-1");
        assertEquals("aws:s3:GetObject", line.get("action"));
        assertEquals("access#0", line.get("grant_id"));
        assertEquals(200, line.get("http_status"));

        Response no = authorize(AGENT, Map.of("action", "aws:s3:GetObject", "resource", "arn:aws:s3:::payroll/2026.csv"));
        no.then().statusCode(403).contentType("application/problem+json");
        assertEquals("DENY", no.jsonPath().getString("decision"));
        assertEquals("no grant for aws:s3:GetObject covers resource arn:aws:s3:::payroll/2026.csv", no.jsonPath().getString("reason"));
        assertEquals("DENY", lastAccessLine("billing-reconciler-1").get("decision"));
    }

    @Test
    void authorizeGitByBranch() {
        authorize(AGENT, Map.of("action", "git:push", "resource", "acme/billing-ledger", "context", Map.of("branch", "feature/fx")))
                .then().statusCode(200).body("grant_id", org.hamcrest.Matchers.equalTo("access#1"));
        authorize(AGENT, Map.of("action", "git:push", "resource", "acme/billing-ledger", "context", Map.of("branch", "main")))
                .then().statusCode(403).body("reason", org.hamcrest.Matchers.equalTo("branch main is not in [feature/*] of grant access#1"));
        Map<String, Object> line = lastAccessLine("billing-reconciler-1");
        assertEquals("DENY", line.get("decision"));
        assertEquals("branch main is not in [feature/*] of grant access#1", line.get("reason"));
    }

    @Test
    void authorizeToolsRefusesDeniedSubstrings() {
        authorize(AGENT, Map.of("action", "tools:Bash", "context", Map.of("command", "ls ledger")))
                .then().statusCode(200).body("grant_id", org.hamcrest.Matchers.equalTo("agent-tools"));
        authorize(AGENT, Map.of("action", "tools:Bash", "context", Map.of("command", "git push --force origin main")))
                .then().statusCode(403).body("decision", org.hamcrest.Matchers.equalTo("DENY"))
                .body("reason", org.hamcrest.Matchers.equalTo("command contains \"git push --force\", denied by grant agent-tools"));
        authorize(NO_GRANTS, Map.of("action", "tools:Read")).then().statusCode(403)
                .body("reason", org.hamcrest.Matchers.equalTo("no policy grants tools:* for noaccess"));
        authorize(AGENT, Map.of("resource", "x")).then().statusCode(400);
        authorize(APPROVER, Map.of("action", "tools:Read")).then().statusCode(403);
    }
}
