package io.mppbroker.slack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.slack.api.Slack;
import com.slack.api.methods.MethodsClient;
import com.slack.api.methods.response.chat.ChatPostMessageResponse;
import com.slack.api.methods.response.views.ViewsOpenResponse;
import io.mppbroker.approval.ApprovalCard;
import io.mppbroker.testkit.FakeSlack;
import io.mppbroker.testkit.SlackInteraction;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The card and the form against FakeSlack's Block Kit checks, with hostile and oversized input; the signature check. */
class ApprovalBlocksTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String CHANNEL = "C0CARDS";

    FakeSlack fake;
    Slack slack;
    MethodsClient methods;

    @BeforeEach
    void start() {
        fake = FakeSlack.start();
        fake.addUser("U0FIN", "fin");
        fake.addChannel(CHANNEL, "cards", "U0FIN");
        com.slack.api.SlackConfig config = new com.slack.api.SlackConfig();
        config.setMethodsEndpointUrlPrefix(fake.baseUrl());
        config.setStatsEnabled(false);
        slack = Slack.getInstance(config);
        methods = slack.methods(fake.botToken());
    }

    @AfterEach
    void stop() throws Exception {
        slack.close();
        fake.close();
    }

    static ApprovalCard card(String status, String purpose, String url, List<String> flags) {
        boolean pending = status.equals("pending");
        return new ApprovalCard("apr_test", "pay_test", "research", "research-agent", "t-42", purpose, url,
                "api.seller.example", "api.seller.example", "800.00", "usd", "over_budget",
                "amount 800.00 usd exceeds the task budget: 0.00 of 100.00 used", 1, List.of(),
                List.of(new ApprovalCard.BudgetLine("task t-42", "100.00", "0.00", "-700.00"),
                        new ApprovalCard.BudgetLine("day", "1000.00", "120.00", "80.00")),
                flags, status, pending ? null : "fin-approver-1", pending ? null : "slack",
                pending ? null : "2026-05-04T10:00:00Z", pending ? null : "EU only <b>&</b>", 0,
                "2026-05-04T09:59:00Z", pending ? "2026-05-04T10:59:00Z" : null);
    }

    @Test
    void aHostileAndOversizedCardIsEscapedAndStaysWithinSlacksLimits() throws Exception {
        String purpose = "<!channel> look <https://evil.example|here> & pay " + "x".repeat(5000);
        String url = "https://api.seller.example/" + "p".repeat(8000);
        List<String> flags = List.of("first payment to api.seller.example", "velocity: 12 payments totalling 400.00 usd in the last hour",
                "price drift: last paid 5.00, now 800.00 (+15900%)");
        ChatPostMessageResponse posted = methods.chatPostMessage(r -> r.channel(CHANNEL)
                .text(ApprovalBlocks.text(card("pending", purpose, url, flags))).blocks(ApprovalBlocks.card(card("pending", purpose, url, flags))));
        assertTrue(posted.isOk(), posted.getError() + " " + fake.calls().get(0).response());

        JsonNode blocks = fake.message(CHANNEL, posted.getTs()).orElseThrow().blocks();
        String all = blocks.toString();
        assertFalse(all.contains("<!channel>"), "a mention got through");
        assertFalse(all.contains("<https://evil.example"), "a link got through");
        assertTrue(all.contains("&lt;!channel&gt; look &lt;https://evil.example|here&gt; &amp; pay"), all);
        assertTrue(all.contains("*-700.00* left after this payment") && all.contains("*80.00* left after this payment"), all);
        assertTrue(all.contains("price drift: last paid 5.00, now 800.00 (+15900%)"), all);
        JsonNode actions = blocks.get(blocks.size() - 1);
        assertEquals("approval_actions", actions.path("block_id").asText());
        assertEquals(3, actions.path("elements").size());
    }

    @Test
    void aDecidedCardSaysWhoHowWhenAndHasNoButtons() throws Exception {
        ChatPostMessageResponse posted = methods.chatPostMessage(r -> r.channel(CHANNEL)
                .text(ApprovalBlocks.text(card("approved", "p", "https://a.example/x", List.of())))
                .blocks(ApprovalBlocks.card(card("approved", "p", "https://a.example/x", List.of()))));
        assertTrue(posted.isOk(), posted.getError());
        FakeSlack.PostedMessage m = fake.message(CHANNEL, posted.getTs()).orElseThrow();
        assertFalse(m.blocks().toString().contains("\"actions\""));
        assertTrue(m.blocks().toString().contains("*Approved* by fin-approver-1 via slack at 2026-05-04T10:00:00Z: EU only &lt;b&gt;&amp;&lt;/b&gt;"),
                m.blocks().toString());
        assertTrue(m.blocks().toString().contains("Risk flags*\\nnone"), m.blocks().toString());
        assertTrue(m.text().startsWith("Approved by fin-approver-1 via slack: 800.00 USD to api.seller.example"), m.text());
    }

    @Test
    void theRevisionFormOpensAndItsSubmissionIsValidatedLikeTheApi() throws Exception {
        ApprovalCard card = card("pending", "p", "https://a.example/x", List.of());
        ViewsOpenResponse opened = methods.viewsOpen(r -> r.triggerId(fake.issueTriggerId("U0FIN"))
                .view(RevisionModal.build(card, CHANNEL)));
        assertTrue(opened.isOk(), opened.getError() + " " + fake.calls().get(0).response());
        String viewId = opened.getView().getId();

        RevisionModal.Submission ok = submission(viewId, "", "800.00", "72h", "EU only");
        assertTrue(ok.valid(), ok.errors().toString());
        assertEquals("apr_test", ok.context().approvalId());
        assertEquals(CHANNEL, ok.context().channel());
        assertEquals(0, new BigDecimal("800.00").compareTo(ok.decision().taskBudget().amount()));
        assertEquals(Duration.ofHours(72), ok.decision().taskBudget().ttl());
        assertNull(ok.decision().maxAmount());
        assertEquals("EU only", ok.decision().note());

        assertEquals(List.of("max_amount"), List.copyOf(submission(viewId, "-5", "", "72h", "").errors().keySet()));
        assertEquals(List.of("task_budget"), List.copyOf(submission(viewId, "", "lots", "72h", "").errors().keySet()));
        assertEquals(List.of("task_budget_ttl"), List.copyOf(submission(viewId, "", "800.00", "forever", "").errors().keySet()));
        assertEquals(List.of("task_budget"), List.copyOf(submission(viewId, "", "", "7d", "").errors().keySet()),
                "a validity without a budget");
        JsonNode response = RevisionModal.errorsResponse(submission(viewId, "", "lots", "72h", "").errors());
        assertEquals("errors", response.path("response_action").asText());
        assertTrue(response.path("errors").path("task_budget").asText().contains("decimal amount"), response.toString());
    }

    RevisionModal.Submission submission(String viewId, String max, String budget, String ttl, String note) {
        SlackInteraction i = fake.viewSubmission(viewId).input("max_amount", "value", max).input("task_budget", "value", budget)
                .input("task_budget_ttl", "value", ttl).input("note", "value", note).build();
        return RevisionModal.parse(i.payload().path("view"));
    }

    @Test
    void theSignatureCheckIsSlacksV0WithASymmetricWindow() {
        String secret = "8f742231b10e8888abcd99yyyzzz85a5";
        SlackSignatureCheck check = new SlackSignatureCheck(secret, Duration.ofMinutes(5));
        Instant now = Instant.ofEpochSecond(1_531_420_618L);
        String body = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
                + "&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
                + "&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
                + "&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
        // Slack's documented example (https://api.slack.com/authentication/verifying-requests-from-slack)
        String slackExample = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
        assertEquals(SlackSignatureCheck.Result.VALID, check.check("1531420618", slackExample, body, now));
        assertEquals(SlackSignatureCheck.Result.BAD_SIGNATURE,
                check.check("1531420618", slackExample.replace("a2114", "a2115"), body, now));
        assertEquals(SlackSignatureCheck.Result.BAD_SIGNATURE, check.check("1531420618", slackExample, body + "&x=1", now));
        assertEquals(SlackSignatureCheck.Result.VALID, check.check("1531420618", slackExample, body, now.plusSeconds(300)));
        assertEquals(SlackSignatureCheck.Result.STALE_TIMESTAMP, check.check("1531420618", slackExample, body, now.plusSeconds(301)));
        assertEquals(SlackSignatureCheck.Result.STALE_TIMESTAMP, check.check("1531420618", slackExample, body, now.minusSeconds(301)));
        assertEquals(SlackSignatureCheck.Result.STALE_TIMESTAMP, check.check("soon", slackExample, body, now));
        assertEquals(SlackSignatureCheck.Result.MISSING_HEADERS, check.check(null, slackExample, body, now));
        assertEquals(SlackSignatureCheck.Result.MISSING_HEADERS, check.check("1531420618", null, body, now));
    }
}
