package io.mppbroker.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How replay and the dashboard word each audit line; lines are built the way AuditTrail writes them. */
class TimelineStepTest {

    static final Instant T = Instant.parse("2026-05-01T17:42:11Z");

    static Map<String, Object> payment(String event, String decision, String reason, String amount, String approvedBy,
                                       Integer http) {
        AuditEntry e = new AuditEntry(T, event, "research-agent", "research", "t-42", AuditTrail.ACTION_PAY,
                "https://api.seller.example/reports/q3", decision, reason, amount == null ? null : new BigDecimal(amount),
                amount == null ? null : "usd", "pay_1", decision == null ? null : "dec_1", approvedBy, null, http, "v1");
        return AuditLines.seal(AuditTrail.toLine(e), 7, AuditLines.GENESIS);
    }

    static Map<String, Object> access(String event, String decision, String reason, String grantId, String approvedBy,
                                      String expires, Integer http) {
        Map<String, Object> line = AuditTrail.toLine(new AuditEntry(T, event, "billing-reconciler-1", "project-billing",
                null, "stripe:charges:read", "stripe.com/v1/charges", decision, reason, null, null, null, null, approvedBy,
                null, http, "v2"));
        line.put("grant_id", grantId);
        line.put("expires", expires);
        return AuditLines.seal(line, 8, AuditLines.GENESIS);
    }

    @Test
    void paymentStepsShowAmountsApproversAndTheRequest() {
        assertEquals("payment pay_1 for https://api.seller.example/reports/q3: quarterly report",
                TimelineStep.of(payment("request", null, "quarterly report", null, null, null)).text());
        TimelineStep asked = TimelineStep.of(payment("decision", "ASK", "amount 50.00 usd is in the ask tier", "50.00", null, 202));
        assertEquals("ASK", asked.decision());
        assertEquals("t-42", asked.task());
        assertEquals(7, asked.seq());
        assertEquals("amount 50.00 usd is in the ask tier", asked.text(), "the amount is in the reason, not twice");
        assertEquals("50.00 usd: approved by alice via slack: fine",
                TimelineStep.of(payment("approval", "ALLOW", "approved by alice via slack: fine", "50.00", "alice", 200)).text());
        assertEquals("50.00 usd: shared payment token minted (approved by alice)",
                TimelineStep.of(payment("spt_minted", null, "shared payment token minted", "50.00", "alice", null)).text());
        assertEquals("paid 50.00 usd", TimelineStep.of(payment("paid", "ALLOW", "paid 50.00 usd", "50.0000", null, 200)).text(),
                "the database's scale (50.0000) is the same amount as the reason's");
        assertEquals("50.00 usd: withdrawn by the agent",
                TimelineStep.of(payment("withdrawn", null, "withdrawn by the agent", "50.0000", null, null)).text());
    }

    @Test
    void aDenialShowsItsReasonAndStatusAndARetryItsGrant() {
        TimelineStep denied = TimelineStep.of(access("access", "DENY", "no policy grants stripe:* for project-billing",
                null, null, null, 403));
        assertEquals("stripe:charges:read on stripe.com/v1/charges denied: no policy grants stripe:* for project-billing (HTTP 403)",
                denied.text());
        assertEquals("2026-05-01T17:42:11.000Z access                   DENY  stripe:charges:read on stripe.com/v1/charges"
                + " denied: no policy grants stripe:* for project-billing (HTTP 403)", denied.format());
        assertEquals("stripe:charges:read on stripe.com/v1/charges allowed by grant gr_7 (approved by alice,"
                        + " expires 2026-05-02T17:43:00Z): granted by gr_7 (HTTP 200)",
                TimelineStep.of(access("access", "ALLOW", "granted by gr_7", "gr_7", "alice", "2026-05-02T17:43:00Z", 200)).text());
        assertEquals("stripe:charges:read on stripe.com/v1/charges allowed by grant research-read (approved by policy,"
                        + " no expiry): granted by research-read (HTTP 200)",
                TimelineStep.of(access("access", "ALLOW", "granted by research-read", "research-read", "policy", null, 200)).text());
    }

    @Test
    void eventsItDoesNotKnowStillShowEveryValue() {
        Map<String, Object> line = access("quota.proposed", null, "least privilege for the last denial",
                null, null, null, null);
        line.put("access_request_id", "acr_1");
        line.put("justification", "reconcile charges");
        line.put("proposal", Map.of("expires_in", "24h"));
        line.put("diff", "+  - service: stripe\n+    actions: [charges:read]");
        TimelineStep step = TimelineStep.of(AuditLines.inFileOrder(new LinkedHashMap<>(line)));
        assertEquals("quota.proposed", step.event());
        assertEquals("stripe:charges:read stripe.com/v1/charges request acr_1: least privilege for the last denial"
                + " justification=reconcile charges proposal={\"expires_in\":\"24h\"}"
                + " diff=+  - service: stripe\n+    actions: [charges:read]", step.text());
        String[] printed = step.format().split("\n");
        assertEquals(2, printed.length);
        assertEquals(" ".repeat(printed[0].indexOf("stripe:charges:read")) + "+    actions: [charges:read]", printed[1],
                "a diff's further lines line up under the text");
        assertFalse(step.text().contains("hash"), "chain fields are not part of the story");
    }

    static Map<String, Object> requestStep(String event, String decision, String reason, String grantId, String approvedBy,
                                           String expires) {
        Map<String, Object> line = access(event, decision, reason, grantId, approvedBy, expires, null);
        line.put("access_request_id", "acr_1");
        return AuditLines.inFileOrder(new LinkedHashMap<>(line));
    }

    @Test
    void accessRequestsAndGrantsAreToldInWords() {
        assertEquals("access request acr_1: requested stripe:charges:read on stripe.com/v1/charges for 24h: reconcile May charges",
                TimelineStep.of(requestStep("access_request.created", null,
                        "requested stripe:charges:read on stripe.com/v1/charges for 24h: reconcile May charges", null, null, null)).text());
        assertEquals("access request acr_1: proposed grant stripe [charges:read] on [stripe.com/v1/charges] for 24h; asked approval apr_1",
                TimelineStep.of(requestStep("access_request.proposed", "ASK",
                        "proposed grant stripe [charges:read] on [stripe.com/v1/charges] for 24h; asked approval apr_1", null, null, null)).text());
        assertEquals("access request acr_1: approved by alice via telegram, narrowed to [stripe:charges:read] for 2h;"
                        + " grant grt_1 until 2026-05-01T19:42:11Z",
                TimelineStep.of(requestStep("access_request.approved", "ALLOW",
                        "approved by alice via telegram, narrowed to [stripe:charges:read] for 2h", "grt_1", "alice",
                        "2026-05-01T19:42:11Z")).text());
        assertEquals("access request acr_1: denied by alice via dashboard: not this month",
                TimelineStep.of(requestStep("access_request.denied", "DENY", "denied by alice via dashboard: not this month",
                        null, "alice", null)).text());
        assertEquals("grant grt_1 added: stripe [charges:read] on [stripe.com/v1/charges] until 2026-05-01T19:42:11Z,"
                        + " approved by alice (request acr_1)",
                TimelineStep.of(requestStep("grant.added", "ALLOW", "grant grt_1 added: stripe [charges:read] on"
                        + " [stripe.com/v1/charges] until 2026-05-01T19:42:11Z, approved by alice", "grt_1", "alice",
                        "2026-05-01T19:42:11Z")).text());
        assertEquals("grant grt_1 expired at 2026-05-01T19:42:11Z (request acr_1)",
                TimelineStep.of(requestStep("grant.expired", "DENY", "grant grt_1 expired at 2026-05-01T19:42:11Z", "grt_1",
                        "alice", "2026-05-01T19:42:11Z")).text());
        assertEquals("grant grt_1 revoked by bob: leaked key (request acr_1)",
                TimelineStep.of(requestStep("grant.revoked", "DENY", "grant grt_1 revoked by bob: leaked key", "grt_1",
                        "alice", "2026-05-01T19:42:11Z")).text());
    }

    @Test
    void controlCharactersFromAgentsNeverReachTheTerminal() {
        TimelineStep step = TimelineStep.of(payment("request", null, "report\u001b[2J\u001b]0;pwned\u0007", null, null, null));
        assertFalse(step.text().chars().anyMatch(c -> c == 0x1b || c == 0x07), step.text());
        assertTrue(step.text().endsWith("report\\u001b[2J\\u001b]0;pwned\\u0007"), step.text());
    }
}
