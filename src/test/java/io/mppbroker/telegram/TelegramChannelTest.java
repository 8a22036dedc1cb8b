package io.mppbroker.telegram;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mppbroker.approval.ApprovalCard;
import io.mppbroker.approval.outbox.ApprovalChannel;
import io.mppbroker.approval.outbox.OutboxMessage;
import io.mppbroker.testkit.FakeTelegram;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** TelegramChannel against the fake Bot API, without the broker: what Telegram accepts, and how failures surface. */
class TelegramChannelTest {

    static final long GROUP = -1009000000001L;
    static final String APPROVAL = "apr_AbCdEfGhIjKlMnOpQrSt";

    FakeTelegram fake;
    TelegramChannel channel;

    @BeforeEach
    void start() {
        fake = FakeTelegram.start();
        fake.addGroup(GROUP, "Approvals");
        channel = new TelegramChannel(new TelegramBot(config(fake.baseUrl(), fake.botToken())));
    }

    @AfterEach
    void stop() {
        fake.close();
    }

    static TelegramConfig config(String apiBase, String token) {
        return new TelegramConfig() {
            @Override
            public String apiBase() {
                return apiBase;
            }

            @Override
            public Optional<String> botToken() {
                return Optional.ofNullable(token);
            }

            @Override
            public Optional<String> webhookSecret() {
                return Optional.empty();
            }
        };
    }

    static ApprovalCard card(String status, String purpose, List<String> flags, String note) {
        boolean pending = status.equals("pending");
        return new ApprovalCard(APPROVAL, "pay_123", "research", "agent-<1>", "t-42", purpose,
                "https://api.seller.example/reports?q=1&lang=en", "api.seller.example", "seller", "50.00", "usd", "ask",
                "between auto_below 10.00 and explicit_above 250.00", 1, List.of(),
                List.of(new ApprovalCard.BudgetLine("task t-42", "100.00", "20.00", "30.00")), flags, status,
                pending ? null : "fin-lead", pending ? null : "slack", pending ? null : "2026-03-01T10:15:30Z", note, 0,
                "2026-03-01T10:00:00Z", pending ? "2026-03-02T10:00:00Z" : null);
    }

    @Test
    void announcesTheCardWithThreeButtonsAndReturnsChatAndMessageId() throws Exception {
        String ref = channel.deliver(OutboxMessage.Kind.ANNOUNCE, String.valueOf(GROUP),
                card("pending", "Q3 <b>market</b> report & \"more\"", List.of("first payment to api.seller.example"), null), null);

        FakeTelegram.ChatMessage m = fake.messages(GROUP).get(0);
        assertEquals(GROUP + ":" + m.messageId(), ref);
        assertTrue(m.text().startsWith("\uD83D\uDCB3 Approval needed: 50.00 USD"), m.text());
        assertTrue(m.text().contains("Purpose: Q3 <b>market</b> report & \"more\""), "shown as typed, not as markup");
        assertTrue(m.text().contains("Agent: agent-<1> (project research)"), m.text());
        assertTrue(m.text().contains("task t-42: 20.00 of 100.00 used, 30.00 left after this payment"), m.text());
        assertTrue(m.text().contains("\u26A0 first payment to api.seller.example"), m.text());
        assertEquals(List.of("a:" + APPROVAL, "d:" + APPROVAL, "r:" + APPROVAL), m.callbackData());
        assertTrue(m.entities().toString().contains("bold"), "the header is bold: HTML was parsed");
    }

    @Test
    void anUpdateEditsTheCardRemovesTheKeyboardAndToleratesARepeat() throws Exception {
        String ref = channel.deliver(OutboxMessage.Kind.ANNOUNCE, String.valueOf(GROUP),
                card("pending", "report", List.of(), null), null);
        ApprovalCard approved = card("approved", "report", List.of(), "ok for Q3");

        assertEquals(ref, channel.deliver(OutboxMessage.Kind.UPDATE, String.valueOf(GROUP), approved, ref));
        FakeTelegram.ChatMessage m = fake.messages(GROUP).get(0);
        assertTrue(m.edited());
        assertTrue(m.text().startsWith("\u2705 Approved: 50.00 USD\nby fin-lead via slack, 2026-03-01 10:15:30 UTC\nNote: ok for Q3"),
                m.text());
        assertNull(m.replyMarkup());

        // At-least-once delivery: the same update again is "message is not modified" at Telegram, and fine here.
        assertEquals(ref, channel.deliver(OutboxMessage.Kind.UPDATE, String.valueOf(GROUP), approved, ref));
        assertEquals(1, fake.messages(GROUP).size());
    }

    @Test
    void anUpdateWithoutAnAnnouncementPostsTheCurrentState() throws Exception {
        String ref = channel.deliver(OutboxMessage.Kind.UPDATE, String.valueOf(GROUP),
                card("denied", "report", List.of(), null), null);
        FakeTelegram.ChatMessage m = fake.messages(GROUP).get(0);
        assertEquals(GROUP + ":" + m.messageId(), ref);
        assertTrue(m.text().startsWith("\u274C Denied"), m.text());
        assertNull(m.replyMarkup());
    }

    @Test
    void anythingAnAgentWritesStaysUnderTelegramsLimit() throws Exception {
        String huge = "<&>\"".repeat(5000);
        List<String> flags = new ArrayList<>(Collections.nCopies(30, "price drift <" + "x".repeat(600) + ">"));
        String note = "\uD83D\uDE00".repeat(1500); // surrogate pairs: the cut must not split one
        channel.deliver(OutboxMessage.Kind.ANNOUNCE, String.valueOf(GROUP), card("approved", huge, flags, note), null);
        FakeTelegram.ChatMessage m = fake.messages(GROUP).get(0);
        assertTrue(m.text().length() <= FakeTelegram.MAX_TEXT, "length " + m.text().length());
        assertTrue(m.text().contains("Purpose: <&>\"<&>\""), "escaped and capped, not dropped");
        assertTrue(m.text().contains("\u2026"), "a cut is marked");
    }

    @Test
    void rateLimitsServerErrorsAndOutagesAreRetriable() {
        ApprovalCard c = card("pending", "report", List.of(), null);
        fake.failNext(1, 429, 7);
        ApprovalChannel.ChannelUnavailable limited = assertThrows(ApprovalChannel.ChannelUnavailable.class,
                () -> channel.deliver(OutboxMessage.Kind.ANNOUNCE, String.valueOf(GROUP), c, null));
        assertEquals(Duration.ofSeconds(7), limited.retryAfter());

        fake.failNext(1, 502);
        ApprovalChannel.ChannelUnavailable badGateway = assertThrows(ApprovalChannel.ChannelUnavailable.class,
                () -> channel.deliver(OutboxMessage.Kind.ANNOUNCE, String.valueOf(GROUP), c, null));
        assertNull(badGateway.retryAfter(), "the outbox's own backoff applies");

        fake.down(true);
        ApprovalChannel.ChannelUnavailable down = assertThrows(ApprovalChannel.ChannelUnavailable.class,
                () -> channel.deliver(OutboxMessage.Kind.ANNOUNCE, String.valueOf(GROUP), c, null));
        assertTrue(down.getMessage().startsWith("Telegram sendMessage unreachable"), down.getMessage());
        fake.down(false);

        for (Exception e : List.of(limited, badGateway, down)) {
            assertFalse(e.getMessage().contains(fake.botToken()), "the token never appears in errors");
        }
        assertTrue(fake.messages(GROUP).isEmpty());
    }

    @Test
    void aChatTelegramDoesNotKnowIsAConfigurationErrorNotAnOutage() {
        TelegramChannel.TelegramRefused refused = assertThrows(TelegramChannel.TelegramRefused.class,
                () -> channel.deliver(OutboxMessage.Kind.ANNOUNCE, "-100777", card("pending", "r", List.of(), null), null));
        assertTrue(refused.getMessage().contains("chat not found"), refused.getMessage());
        assertFalse(refused.getMessage().contains(fake.botToken()));
    }

    @Test
    void configuration() {
        assertFalse(new TelegramChannel(new TelegramBot(config("https://api.telegram.org", null))).configured());
        assertTrue(channel.configured());
        assertEquals(443, TelegramBot.telegramUrl("https://api.telegram.org").getPort());
        assertEquals("https", TelegramBot.telegramUrl("https://api.telegram.org").getSchema());
        assertEquals(8081, TelegramBot.telegramUrl("http://127.0.0.1:8081/").getPort());
        assertThrows(IllegalArgumentException.class, () -> TelegramBot.telegramUrl("https://proxy.example/telegram"));
        IllegalArgumentException badToken = assertThrows(IllegalArgumentException.class,
                () -> new TelegramBot(config("https://api.telegram.org", "not-a-token-secret-value")));
        assertFalse(badToken.getMessage().contains("not-a-token-secret-value"));
        assertEquals(fake.botId(), new TelegramBot(config(fake.baseUrl(), fake.botToken())).botId());
    }

    @Test
    void callbackDataFitsSixtyFourBytesAndRoundTrips() {
        for (CallbackData.Action action : CallbackData.Action.values()) {
            CallbackData d = new CallbackData(action, APPROVAL);
            assertTrue(d.encode().getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= CallbackData.MAX_BYTES);
            assertEquals(Optional.of(d), CallbackData.parse(d.encode()));
        }
        assertThrows(IllegalArgumentException.class, () -> new CallbackData(CallbackData.Action.APPROVE, "apr_" + "x".repeat(61)));
        for (String junk : List.of("", "x:" + APPROVAL, "a:pay_123", "a:" + APPROVAL + " ", "a:apr_<script>")) {
            assertEquals(Optional.empty(), CallbackData.parse(junk), junk);
        }
        assertNotEquals(CallbackData.parse("a:" + APPROVAL), CallbackData.parse("d:" + APPROVAL));
    }

    @Test
    void theRevisionSyntax() {
        var full = RevisionReply.parse("amount=40.00 budget=400.00 ttl=72h note=skip DE and FR\nthanks");
        assertEquals("approve", full.decision());
        assertEquals("40.00", full.maxAmount());
        assertEquals("400.00", full.taskBudget().amount());
        assertEquals("72h", full.taskBudget().ttl());
        assertEquals("skip DE and FR\nthanks", full.note());

        var budgetOnly = RevisionReply.parse("  Budget=250 ");
        assertEquals("250", budgetOnly.taskBudget().amount());
        assertNull(budgetOnly.taskBudget().ttl(), "the API's default (72h) applies");
        assertNull(budgetOnly.note());

        var deny = RevisionReply.parse("deny note=use the cached report");
        assertEquals("deny", deny.decision());
        assertEquals("use the cached report", deny.note());
        assertNull(deny.taskBudget());

        for (String bad : List.of("", "  \n", "budget=1 budget=2", "ttl=72h", "limit=5", "please raise it", "amount=1 hello")) {
            assertThrows(io.mppbroker.api.ApiProblem.class, () -> RevisionReply.parse(bad), bad);
        }
        // The API's own rules then apply to the values.
        assertThrows(io.mppbroker.api.ApiProblem.class,
                () -> io.mppbroker.approval.ApprovalResource.parse(RevisionReply.parse("deny budget=10")));
        assertInstanceOf(io.mppbroker.approval.ApprovalDecision.class,
                io.mppbroker.approval.ApprovalResource.parse(RevisionReply.parse("budget=400.00 ttl=7d")));

        assertEquals(Optional.of(APPROVAL), RevisionReply.approvalIdOfPrompt(RevisionReply.prompt(APPROVAL, "50.00 USD")));
        assertEquals(Optional.empty(), RevisionReply.approvalIdOfPrompt("Please revise approval " + APPROVAL));
    }
}
