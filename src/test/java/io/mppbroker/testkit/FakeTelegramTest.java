package io.mppbroker.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.telegram.telegrambots.client.okhttp.OkHttpTelegramClient;
import org.telegram.telegrambots.meta.TelegramUrl;
import org.telegram.telegrambots.meta.api.methods.AnswerCallbackQuery;
import org.telegram.telegrambots.meta.api.methods.GetMe;
import org.telegram.telegrambots.meta.api.methods.send.SendMessage;
import org.telegram.telegrambots.meta.api.methods.updates.GetWebhookInfo;
import org.telegram.telegrambots.meta.api.methods.updates.SetWebhook;
import org.telegram.telegrambots.meta.api.methods.updatingmessages.EditMessageReplyMarkup;
import org.telegram.telegrambots.meta.api.methods.updatingmessages.EditMessageText;
import org.telegram.telegrambots.meta.api.objects.Update;
import org.telegram.telegrambots.meta.api.objects.User;
import org.telegram.telegrambots.meta.api.objects.message.Message;
import org.telegram.telegrambots.meta.api.objects.replykeyboard.InlineKeyboardMarkup;
import org.telegram.telegrambots.meta.api.objects.replykeyboard.buttons.InlineKeyboardButton;
import org.telegram.telegrambots.meta.api.objects.replykeyboard.buttons.InlineKeyboardRow;
import org.telegram.telegrambots.meta.exceptions.TelegramApiException;
import org.telegram.telegrambots.meta.exceptions.TelegramApiRequestException;
import org.telegram.telegrambots.meta.exceptions.TelegramApiValidationException;
import org.telegram.telegrambots.meta.generics.TelegramClient;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FakeTelegramTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final long ALICE = 424242L;
    static final long GROUP = -4_000_000_123L;

    FakeTelegram fake;
    TelegramClient client;
    HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() {
        fake = FakeTelegram.start();
        fake.addUser(ALICE, "alice", "Alice");
        fake.addGroup(GROUP, "Payment approvals");
        client = clientFor(fake.botToken());
    }

    @AfterEach
    void stop() {
        fake.close();
    }

    TelegramClient clientFor(String token) {
        return new OkHttpTelegramClient(token, TelegramUrl.builder().schema("http").host(fake.host())
                .port(fake.port()).build());
    }

    static InlineKeyboardMarkup keyboard(String... textAndData) {
        InlineKeyboardRow row = new InlineKeyboardRow();
        for (int i = 0; i < textAndData.length; i += 2) {
            row.add(InlineKeyboardButton.builder().text(textAndData[i]).callbackData(textAndData[i + 1]).build());
        }
        return InlineKeyboardMarkup.builder().keyboardRow(row).build();
    }

    Message sendApproval(long chatId) throws TelegramApiException {
        return client.execute(SendMessage.builder().chatId(chatId)
                .text("<b>mpp-broker</b> wants to pay <b>2.50 USD</b> to api.example.com &amp; co")
                .parseMode("HTML")
                .replyMarkup(keyboard("Approve", "approve:dec_42", "Deny", "deny:dec_42"))
                .build());
    }

    JsonNode raw(String method, String contentType, String body) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                        URI.create(fake.baseUrl() + "/bot" + fake.botToken() + "/" + method))
                .header("Content-Type", contentType).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        JsonNode json = JSON.readTree(r.body());
        assertEquals(json.path("ok").asBoolean() ? 200 : json.get("error_code").asInt(), r.statusCode(),
                "HTTP status equals error_code");
        return json;
    }

    // ---- telegrambots-client against the fake ----

    @Test
    void telegramClientSendsAnInlineKeyboardAndEditsTheMessage() throws Exception {
        User me = client.execute(new GetMe());
        assertEquals(fake.botId(), me.getId());
        assertTrue(me.getIsBot());

        Message sent = sendApproval(ALICE);
        assertEquals(1, sent.getMessageId());
        assertEquals(ALICE, sent.getChatId());
        assertEquals("mpp-broker wants to pay 2.50 USD to api.example.com & co", sent.getText());
        assertEquals("bold", sent.getEntities().get(0).getType());
        assertEquals("approve:dec_42", sent.getReplyMarkup().getKeyboard().get(0).get(0).getCallbackData());

        FakeTelegram.ChatMessage stored = fake.message(ALICE, 1).orElseThrow();
        assertTrue(stored.fromBot());
        assertEquals(List.of("approve:dec_42", "deny:dec_42"), stored.callbackData());
        assertEquals(List.of("Approve", "Deny"), stored.buttonTexts());
        assertEquals("application/json", fake.calls("sendMessage").get(0).contentType(), "the client sends JSON");

        Object edited = client.execute(EditMessageText.builder().chatId(ALICE).messageId(sent.getMessageId())
                .text("Approved by @alice").build());
        Message editedMessage = assertInstanceOf(Message.class, edited);
        assertEquals("Approved by @alice", editedMessage.getText());
        assertNotNull(editedMessage.getEditDate());
        assertNull(editedMessage.getReplyMarkup(), "editing text without reply_markup removes the keyboard");

        FakeTelegram.ChatMessage after = fake.message(ALICE, 1).orElseThrow();
        assertEquals(2, after.history().size());
        assertEquals("sendMessage", after.history().get(0).via());
        assertEquals("editMessageText", after.history().get(1).via());
        assertTrue(after.callbackData().isEmpty());
        assertEquals(2, after.history().get(0).replyMarkup().get("inline_keyboard").get(0).size());

        TelegramApiRequestException same = assertThrows(TelegramApiRequestException.class,
                () -> client.execute(EditMessageText.builder().chatId(ALICE).messageId(1).text("Approved by @alice").build()));
        assertEquals(400, same.getErrorCode());
        assertTrue(same.getApiResponse().startsWith("Bad Request: message is not modified"), same.getApiResponse());
    }

    @Test
    void editMessageReplyMarkupSwapsOrRemovesTheKeyboard() throws Exception {
        Message sent = sendApproval(GROUP);
        client.execute(EditMessageReplyMarkup.builder().chatId(GROUP).messageId(sent.getMessageId())
                .replyMarkup(keyboard("Undo", "undo:dec_42")).build());
        assertEquals(List.of("undo:dec_42"), fake.message(GROUP, sent.getMessageId()).orElseThrow().callbackData());
        client.execute(EditMessageReplyMarkup.builder().chatId(GROUP).messageId(sent.getMessageId()).build());
        FakeTelegram.ChatMessage m = fake.message(GROUP, sent.getMessageId()).orElseThrow();
        assertNull(m.replyMarkup());
        assertEquals(3, m.history().size());
        assertEquals(sent.getText(), m.text(), "the text stays");
        TelegramApiRequestException missing = assertThrows(TelegramApiRequestException.class,
                () -> client.execute(EditMessageReplyMarkup.builder().chatId(GROUP).messageId(99).build()));
        assertEquals("Bad Request: message to edit not found", missing.getApiResponse());
    }

    @Test
    void callbackDataLongerThan64BytesIsRefused() throws Exception {
        String sixtyFourBytes = "approve:" + "x".repeat(56);
        String sixtyFiveBytes = sixtyFourBytes + "x";
        // 64 bytes of UTF-8 that are fewer characters: "é" is 2 bytes
        String accented = "é".repeat(32);
        assertEquals(64, accented.getBytes(StandardCharsets.UTF_8).length);

        client.execute(SendMessage.builder().chatId(ALICE).text("ok").replyMarkup(keyboard("A", sixtyFourBytes, "B", accented)).build());
        TelegramApiRequestException refused = assertThrows(TelegramApiRequestException.class,
                () -> client.execute(SendMessage.builder().chatId(ALICE).text("x")
                        .replyMarkup(keyboard("A", sixtyFiveBytes)).build()));
        assertEquals(400, refused.getErrorCode());
        assertEquals("Bad Request: BUTTON_DATA_INVALID", refused.getApiResponse());
        assertThrows(TelegramApiRequestException.class, () -> client.execute(SendMessage.builder().chatId(ALICE).text("x")
                .replyMarkup(keyboard("A", accented + "é")).build()));
        assertEquals(1, fake.botMessages().size());

        JsonNode textOnly = raw("sendMessage", "application/json", "{\"chat_id\":" + ALICE
                + ",\"text\":\"x\",\"reply_markup\":{\"inline_keyboard\":[[{\"text\":\"Approve\"}]]}}");
        assertTrue(textOnly.get("description").asText().contains("Text buttons are unallowed"));
    }

    @Test
    void telegramErrorsReachTheClient() throws Exception {
        TelegramApiRequestException unauthorized = assertThrows(TelegramApiRequestException.class,
                () -> clientFor("123456789:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").execute(new GetMe()));
        assertEquals(401, unauthorized.getErrorCode());
        assertEquals("Unauthorized", unauthorized.getApiResponse());

        TelegramApiRequestException noChat = assertThrows(TelegramApiRequestException.class,
                () -> client.execute(SendMessage.builder().chatId(999L).text("x").build()));
        assertEquals("Bad Request: chat not found", noChat.getApiResponse());

        fake.blockBot(ALICE, true);
        TelegramApiRequestException blocked = assertThrows(TelegramApiRequestException.class, () -> sendApproval(ALICE));
        assertEquals(403, blocked.getErrorCode());
        assertEquals("Forbidden: bot was blocked by the user", blocked.getApiResponse());
        assertTrue(fake.botMessages().isEmpty());

        HttpResponse<String> unknownMethod = http.send(HttpRequest.newBuilder(
                URI.create(fake.baseUrl() + "/bot" + fake.botToken() + "/sendTelepathy")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(404, unknownMethod.statusCode());
        fake.calls().forEach(c -> assertFalse(c.toString().contains(fake.botToken()), "no token in records"));
    }

    @Test
    void parseModeTextIsCheckedLikeTelegramDoes() throws Exception {
        TelegramApiRequestException unescaped = assertThrows(TelegramApiRequestException.class,
                () -> client.execute(SendMessage.builder().chatId(ALICE).parseMode("MarkdownV2")
                        .text("Pay *2.50 USD*?").build()));
        assertEquals(400, unescaped.getErrorCode());
        assertEquals("Bad Request: can't parse entities: Character '.' is reserved and must be escaped with the preceding '\\'",
                unescaped.getApiResponse());

        Message ok = client.execute(SendMessage.builder().chatId(ALICE).parseMode("MarkdownV2")
                .text("Pay *2\\.50 USD* to `api.example.com`\\?").build());
        assertEquals("Pay 2.50 USD to api.example.com?", ok.getText());
        assertEquals("bold", ok.getEntities().get(0).getType());
        assertEquals(4, ok.getEntities().get(0).getOffset());
        assertEquals(8, ok.getEntities().get(0).getLength());
        assertEquals("code", ok.getEntities().get(1).getType());

        assertEquals("Bad Request: can't parse entities: Can't find end of Bold entity at byte offset 4",
                assertThrows(TelegramApiRequestException.class, () -> client.execute(SendMessage.builder().chatId(ALICE)
                        .parseMode("MarkdownV2").text("Pay *2\\.50").build())).getApiResponse());
        assertTrue(assertThrows(TelegramApiRequestException.class, () -> client.execute(SendMessage.builder()
                .chatId(ALICE).parseMode("HTML").text("1 < 2 <b>bold</b>").build())).getApiResponse()
                .startsWith("Bad Request: can't parse entities: Unsupported start tag"));
        assertTrue(assertThrows(TelegramApiRequestException.class, () -> client.execute(SendMessage.builder()
                .chatId(ALICE).parseMode("HTML").text("<b>bold").build())).getApiResponse()
                .contains("Can't find end tag corresponding to start tag \"b\""));
        Message link = client.execute(SendMessage.builder().chatId(ALICE).parseMode("HTML")
                .text("  <a href=\"https://example.com/d?x=1&amp;y=2\">details</a> ").build());
        assertEquals("details", link.getText(), "surrounding whitespace is stripped");
        assertEquals("https://example.com/d?x=1&y=2", link.getEntities().get(0).getUrl());

        assertEquals("Bad Request: message text is empty", assertThrows(TelegramApiRequestException.class,
                () -> client.execute(SendMessage.builder().chatId(ALICE).text(" \n ").build())).getApiResponse());
        assertEquals("Bad Request: message is too long", assertThrows(TelegramApiRequestException.class,
                () -> client.execute(SendMessage.builder().chatId(ALICE).text("x".repeat(4097)).build())).getApiResponse());
        assertEquals(2, fake.botMessages().size());
    }

    @Test
    void acceptsFormAndJsonBodiesWithReplyMarkupEitherWay() throws Exception {
        String markup = "{\"inline_keyboard\":[[{\"text\":\"Approve\",\"callback_data\":\"approve:dec_1\"}]]}";
        JsonNode form = raw("sendMessage", "application/x-www-form-urlencoded", "chat_id=" + ALICE
                + "&text=" + URLEncoder.encode("form body", StandardCharsets.UTF_8)
                + "&reply_markup=" + URLEncoder.encode(markup, StandardCharsets.UTF_8));
        assertTrue(form.get("ok").asBoolean(), form.toString());
        assertEquals("approve:dec_1", form.at("/result/reply_markup/inline_keyboard/0/0/callback_data").asText());

        JsonNode json = raw("SENDMESSAGE", "application/json", "{\"chat_id\":\"" + ALICE + "\",\"text\":\"json body\","
                + "\"reply_markup\":" + markup + "}");
        assertTrue(json.get("ok").asBoolean(), "method names are case-insensitive, chat_id may be a string");
        assertEquals(2, json.at("/result/message_id").asInt());

        JsonNode reply = raw("sendMessage", "application/json", "{\"chat_id\":" + ALICE + ",\"text\":\"re\","
                + "\"reply_parameters\":{\"message_id\":1}}");
        assertEquals(1, reply.at("/result/reply_to_message/message_id").asInt());
        assertEquals(3, fake.messages(ALICE).size());
    }

    // ---- callback queries and webhook updates ----

    @Test
    void pressButtonMakesAnAnswerableCallbackQuery() throws Exception {
        Message sent = sendApproval(ALICE);
        TelegramUpdates.Update press = fake.pressButton(ALICE, ALICE, sent.getMessageId(), "Deny");
        assertThrows(IllegalArgumentException.class, () -> fake.pressButton(ALICE, ALICE, sent.getMessageId(), "Maybe"));

        // telegrambots-meta reads the update as a bot would
        Update update = JSON.readValue(press.body(), Update.class);
        assertTrue(update.hasCallbackQuery());
        assertEquals("deny:dec_42", update.getCallbackQuery().getData());
        assertEquals(ALICE, update.getCallbackQuery().getFrom().getId());
        assertEquals("alice", update.getCallbackQuery().getFrom().getUserName());
        assertEquals(sent.getMessageId(), update.getCallbackQuery().getMessage().getMessageId());
        assertEquals(ALICE, update.getCallbackQuery().getMessage().getChatId());

        assertTrue(client.execute(AnswerCallbackQuery.builder().callbackQueryId(press.callbackQueryId())
                .text("Denied").build()));
        FakeTelegram.CallbackAnswer answer = fake.callbackAnswers().get(0);
        assertEquals("deny:dec_42", answer.data());
        assertEquals("Denied", answer.text());
        assertEquals(ALICE, answer.userId());

        TelegramApiRequestException again = assertThrows(TelegramApiRequestException.class,
                () -> client.execute(AnswerCallbackQuery.builder().callbackQueryId(press.callbackQueryId()).build()));
        assertTrue(again.getApiResponse().contains("query ID is invalid"));
        String madeUp = TelegramUpdates.callbackQuery().from(ALICE, "alice", "Alice").data("approve:dec_42").build()
                .callbackQueryId();
        assertThrows(TelegramApiRequestException.class,
                () -> client.execute(AnswerCallbackQuery.builder().callbackQueryId(madeUp).build()));
        assertEquals(1, fake.callbackAnswers().size());
    }

    @Test
    void replyUpdatesQuoteTheOriginalAndAreKept() throws Exception {
        Message sent = sendApproval(GROUP);
        TelegramUpdates.Update r = fake.reply(ALICE, GROUP, sent.getMessageId(), "too expensive");
        Update update = JSON.readValue(r.body(), Update.class);
        assertTrue(update.hasMessage());
        assertEquals("too expensive", update.getMessage().getText());
        assertEquals(ALICE, update.getMessage().getFrom().getId());
        assertEquals(GROUP, update.getMessage().getChatId());
        assertEquals(sent.getMessageId(), update.getMessage().getReplyToMessage().getMessageId());
        assertTrue(update.getMessage().getReplyToMessage().getFrom().getIsBot());
        FakeTelegram.ChatMessage kept = fake.message(GROUP, update.getMessage().getMessageId()).orElseThrow();
        assertFalse(kept.fromBot());
        assertEquals(sent.getMessageId().longValue(), kept.replyToMessageId());
        assertTrue(update.getUpdateId() > 0);
        assertEquals(update.getUpdateId() + 1,
                JSON.readValue(fake.reply(ALICE, GROUP, sent.getMessageId(), "again").body(), Update.class).getUpdateId());
    }

    @Test
    void webhookRequestsCarryTheSecretHeaderOrNot() throws Exception {
        Message sent = sendApproval(ALICE);
        TelegramUpdates.Update press = fake.pressButton(ALICE, ALICE, sent.getMessageId(), "Approve");
        List<Map<String, String>> received = new ArrayList<>();
        HttpServer bot = LocalHttpServer.loopback(0, 0);
        bot.createContext("/telegram/webhook", ex -> {
            Map<String, String> r = new ConcurrentHashMap<>();
            r.put("contentType", ex.getRequestHeaders().getFirst("Content-Type"));
            String secret = ex.getRequestHeaders().getFirst(TelegramUpdates.SECRET_HEADER);
            r.put("secret", secret == null ? "<none>" : secret);
            r.put("body", new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            synchronized (received) {
                received.add(r);
            }
            ex.sendResponseHeaders("s3cr3t_token-1".equals(secret) ? 200 : 401, -1);
            ex.close();
        });
        bot.start();
        try {
            URI url = URI.create("http://127.0.0.1:" + bot.getAddress().getPort() + "/telegram/webhook");
            assertEquals(200, press.withSecret("s3cr3t_token-1").post(url).statusCode());
            assertEquals(401, press.withWrongSecret().post(url).statusCode());
            assertEquals(401, press.withoutSecret().post(url).statusCode());
        } finally {
            bot.stop(0);
        }
        assertEquals(3, received.size());
        assertEquals("application/json", received.get(0).get("contentType"));
        assertEquals("s3cr3t_token-1", received.get(0).get("secret"));
        assertTrue(received.get(1).get("secret").startsWith("wrong-"));
        assertEquals("<none>", received.get(2).get("secret"));
        assertEquals(JSON.readTree(press.body()), JSON.readTree(received.get(0).get("body")));
        assertFalse(press.withSecret("s3cr3t_token-1").toString().contains("s3cr3t"), "toString hides the secret");
    }

    @Test
    void setWebhookThroughTheClientNeedsHttps() throws Exception {
        // the client sends setWebhook as multipart/form-data
        assertTrue(client.execute(SetWebhook.builder().url("https://broker.example.com/telegram/webhook")
                .secretToken("s3cr3t_token-1").allowedUpdates(List.of("message", "callback_query")).build()));
        FakeTelegram.Webhook hook = fake.webhook().orElseThrow();
        assertEquals("https://broker.example.com/telegram/webhook", hook.url());
        assertEquals("s3cr3t_token-1", hook.secretToken());
        assertEquals(List.of("message", "callback_query"), hook.allowedUpdates());
        assertFalse(hook.toString().contains("s3cr3t"));
        assertEquals("multipart/form-data", fake.calls("setWebhook").get(0).contentType());
        assertEquals("https://broker.example.com/telegram/webhook", client.execute(new GetWebhookInfo()).getUrl());

        TelegramApiRequestException http = assertThrows(TelegramApiRequestException.class, () -> client.execute(
                SetWebhook.builder().url("http://127.0.0.1:8080/telegram/webhook").build()));
        assertEquals("Bad Request: bad webhook: An HTTPS URL must be provided for webhook", http.getApiResponse());
        assertThrows(TelegramApiRequestException.class, () -> client.execute(
                SetWebhook.builder().url("https://broker.example.com:9443/hook").build()));
        // the client library itself refuses a bad secret token; the fake refuses it too
        assertThrows(TelegramApiValidationException.class, () -> client.execute(
                SetWebhook.builder().url("https://broker.example.com/hook").secretToken("no spaces allowed").build()));
        assertEquals("Bad Request: secret token contains unallowed characters", raw("setWebhook",
                "application/x-www-form-urlencoded", "url=https%3A%2F%2Fbroker.example.com%2Fhook&secret_token=no+spaces")
                .get("description").asText());
        assertEquals("s3cr3t_token-1", fake.webhook().orElseThrow().secretToken(), "refused calls change nothing");
    }

    // ---- failures ----

    @Test
    void failNextAnswersRateLimitsAndServerErrorsBeforeAnyEffect() throws Exception {
        fake.failNext(2, 429, 5);
        for (int i = 0; i < 2; i++) {
            TelegramApiRequestException e = assertThrows(TelegramApiRequestException.class, () -> sendApproval(ALICE));
            assertEquals(429, e.getErrorCode());
            assertEquals(5, e.getParameters().getRetryAfter());
            assertEquals("Too Many Requests: retry after 5", e.getApiResponse());
        }
        fake.failNext(1, 502);
        assertEquals(502, assertThrows(TelegramApiRequestException.class, () -> sendApproval(ALICE)).getErrorCode());
        assertTrue(fake.botMessages().isEmpty());

        Message sent = sendApproval(ALICE);
        assertEquals(1, sent.getMessageId(), "failed calls used no message ids");
        List<FakeTelegram.Call> calls = fake.calls("sendMessage");
        assertEquals(4, calls.size());
        assertTrue(calls.get(0).injectedFailure());
        assertEquals(String.valueOf(ALICE), calls.get(0).params().get("chat_id").asText());
    }

    @Test
    void downRefusesConnectionsUntilBackOnTheSamePort() throws Exception {
        sendApproval(ALICE);
        fake.down(true);
        TelegramApiException e = assertThrows(TelegramApiException.class, () -> sendApproval(ALICE));
        assertInstanceOf(ConnectException.class, e.getCause(), String.valueOf(e.getCause()));
        fake.down(false);
        assertEquals(2, sendApproval(ALICE).getMessageId());
        assertThrows(IOException.class, () -> {
            fake.close();
            http.send(HttpRequest.newBuilder(URI.create(fake.baseUrl() + "/bot" + fake.botToken() + "/getMe")).build(),
                    HttpResponse.BodyHandlers.ofString());
        });
    }
}
