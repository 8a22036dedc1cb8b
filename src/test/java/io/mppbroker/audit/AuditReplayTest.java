package io.mppbroker.audit;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.endsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mppbroker.cli.BrokerCli;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One agent's session read back: {@code GET /v1/audit} page by page, and the {@code replay} command from the
 * database and from the audit file. Policy: src/test/resources/test-budgets/replay.yaml (grants stripe
 * charges:read only).
 */
@QuarkusTest
class AuditReplayTest {

    static final String AGENT = "Bearer replay-agent-token";
    static final String OTHER_AGENT = "Bearer replay-other-token";
    static final String APPROVER = "Bearer replay-approver-token";
    static final String FOREIGN_APPROVER = "Bearer access-approver-token"; // approves project "access" only
    static final Pattern NEXT = Pattern.compile("<([^>]+)>;\\s*rel=\"next\"");

    @Inject
    AuditConfig config;
    @Inject
    AuditChain chain;

    /** A session: denied, denied again, allowed by the grant, then two more reads; the other agent gets one line. */
    static boolean recorded;

    @BeforeEach
    void session() {
        if (recorded) {
            return;
        }
        recorded = true;
        authorize(AGENT, "stripe:customers:read", "stripe.com/v1/customers", 403);
        authorize(AGENT, "stripe:charges:write", "stripe.com/v1/charges", 403);
        authorize(AGENT, "stripe:charges:read", "stripe.com/v1/charges", 200);
        authorize(AGENT, "stripe:charges:read", "stripe.com/v1/charges/ch_1", 200);
        authorize(AGENT, "stripe:charges:read", "stripe.com/v1/charges/ch_2", 200);
        authorize(OTHER_AGENT, "stripe:charges:read", "stripe.com/v1/charges", 200);
        chain.sealPending(); // the replay command reads the chain (audit_event) from outside the broker
    }

    static void authorize(String token, String action, String resource, int status) {
        given().header("Authorization", token).contentType(ContentType.JSON)
                .body(Map.of("action", action, "resource", resource)).post("/v1/authorize").then().statusCode(status);
    }

    static List<Map<String, Object>> all(String token, String query) {
        return given().header("Authorization", token).get("/v1/audit" + query).then().statusCode(200)
                .extract().jsonPath().getList("$");
    }

    @Test
    void anAgentPagesThroughItsOwnSessionInChainOrder() {
        List<Map<String, Object>> whole = all(AGENT, "");
        assertEquals(5, whole.size(), whole.toString());
        assertEquals(List.of("DENY", "DENY", "ALLOW", "ALLOW", "ALLOW"), whole.stream().map(l -> l.get("decision")).toList());

        List<Map<String, Object>> paged = new ArrayList<>();
        String next = "/v1/audit?limit=2";
        int pages = 0;
        while (next != null) {
            Response r = given().header("Authorization", AGENT).get(next).then().statusCode(200).extract().response();
            List<Map<String, Object>> page = r.jsonPath().getList("$");
            assertTrue(page.size() <= 2, page.toString());
            paged.addAll(page);
            String link = r.getHeader("Link");
            Matcher m = link == null ? null : NEXT.matcher(link);
            next = m != null && m.find() ? m.group(1) : null;
            pages++;
        }
        assertEquals(3, pages, "5 lines in pages of 2");
        assertEquals(whole, paged);
        long seq = 0;
        for (Map<String, Object> line : paged) {
            long s = ((Number) line.get("seq")).longValue();
            assertTrue(s > seq, "chain order: " + paged);
            seq = s;
            assertEquals("replay-agent", line.get("agent"));
            assertEquals(line.get("hash"), AuditLines.hash(new java.util.LinkedHashMap<>(line)), "a line exactly as chained");
        }
        // The cursor is the last seq seen: after it, only later lines.
        long third = ((Number) whole.get(2).get("seq")).longValue();
        assertEquals(whole.subList(3, 5), all(AGENT, "?after=" + third));
    }

    @Test
    void anApproverOfTheProjectReadsAnyAgentAndOthersCannot() {
        assertEquals(5, all(APPROVER, "?agent=replay-agent").size());
        assertEquals(List.of("replay-other"), all(APPROVER, "?agent=replay-other").stream().map(l -> l.get("agent")).toList());
        assertEquals(6, all(APPROVER, "").size(), "no agent= gives the project's lines");

        given().header("Authorization", OTHER_AGENT).queryParam("agent", "replay-agent").get("/v1/audit")
                .then().statusCode(403).contentType("application/problem+json").body("type", endsWith("/not-your-audit"));
        given().header("Authorization", FOREIGN_APPROVER).queryParam("project", "replay").queryParam("agent", "replay-agent")
                .get("/v1/audit").then().statusCode(403).body("type", endsWith("/not-your-project"));
        List<Map<String, Object>> foreign = all(FOREIGN_APPROVER, "?agent=replay-agent");
        assertEquals(List.of(), foreign, "an approver of another project sees none of this agent's lines");
        given().get("/v1/audit").then().statusCode(401);
    }

    @Test
    void badQueryValuesAreProblems() {
        for (String[] query : new String[][] {{"after", "abc"}, {"after", "-1"}, {"limit", "0"}, {"limit", "1001"},
                {"limit", "2.5"}, {"agent", " "}, {"task", " "}}) {
            Response r = given().header("Authorization", AGENT).queryParam(query[0], query[1]).get("/v1/audit");
            assertEquals(400, r.statusCode(), String.join("=", query) + ": " + r.asString());
            r.then().contentType("application/problem+json").body("type", endsWith("/invalid-request"))
                    .body("detail", containsString(query[0]));
        }
    }

    @Test
    void replayPrintsTheSessionFromTheDatabaseAndTheSameFromTheAuditFile() {
        String url = ConfigProvider.getConfig().getValue("quarkus.datasource.jdbc.url", String.class);
        Run db = replay("--agent", "replay-agent", "--jdbc-url", url, "--user", "postgres");
        assertEquals(BrokerCli.OK, db.exit, db.err);
        List<String> lines = db.out.lines().toList();
        assertTrue(lines.get(0).startsWith("Session of replay-agent in replay: 5 steps, "), lines.get(0));
        assertEquals(6, lines.size(), db.out);
        assertTrue(lines.get(1).matches(".*access +DENY +stripe:customers:read on stripe.com/v1/customers denied: .*\\(HTTP 403\\)"), lines.get(1));
        assertTrue(lines.get(3).matches(".*access +ALLOW +stripe:charges:read on stripe.com/v1/charges allowed by grant replay-stripe-read"
                + " \\(approved by policy, no expiry\\): .*\\(HTTP 200\\)"), lines.get(3));

        // The exporter writes the file after commit; verifying writes out every committed line first.
        given().header("Authorization", APPROVER).get("/v1/audit/verify").then().statusCode(200);
        Run file = replay("--agent", "replay-agent", "--file", config.file().toAbsolutePath().getParent().toString());
        assertEquals(BrokerCli.OK, file.exit, file.err);
        assertEquals(db.out, file.out);
    }

    @Test
    void replayOfAnUnknownAgentOrWithoutASourceFails() {
        String url = ConfigProvider.getConfig().getValue("quarkus.datasource.jdbc.url", String.class);
        Run none = replay("--agent", "nobody", "--jdbc-url", url, "--user", "postgres");
        assertEquals(BrokerCli.BROKEN, none.exit);
        assertTrue(none.err.contains("no audit line for agent nobody"), none.err);
        Run missing = replay("--agent", "replay-agent", "--file", "target/no-such-audit.jsonl");
        assertEquals(BrokerCli.USAGE, missing.exit);
        assertTrue(missing.err.contains("no such file or directory"), missing.err);
        Run both = replay("--agent", "replay-agent", "--file", "x.jsonl", "--jdbc-url", url);
        assertEquals(BrokerCli.USAGE, both.exit);
        assertEquals(BrokerCli.USAGE, replay("--file", "x.jsonl").exit, "--agent is required");
    }

    record Run(int exit, String out, String err) {}

    static Run replay(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        String[] all = new String[args.length + 1];
        all[0] = "replay";
        System.arraycopy(args, 0, all, 1, args.length);
        int exit = BrokerCli.run(new PrintWriter(out, true), new PrintWriter(err, true), all);
        return new Run(exit, out.toString(), err.toString());
    }
}
