package io.mppbroker.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

import static io.mppbroker.testkit.WireParams.NODES;

/**
 * What Telegram POSTs to a bot's webhook (https://core.telegram.org/bots/api#update): a JSON {@code Update} with
 * {@code Content-Type: application/json} and, when the webhook was set with a {@code secret_token}, the header
 * {@code X-Telegram-Bot-Api-Secret-Token}. Build updates with {@link FakeTelegram#pressButton} /
 * {@link FakeTelegram#reply} (ids consistent with the fake's messages and answerable callback queries) or freely
 * with {@link #callbackQuery()} / {@link #replyMessage()}; then {@link Update#withSecret},
 * {@link Update#withWrongSecret} or {@link Update#withoutSecret} give the request.
 */
public final class TelegramUpdates {

    public static final String SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token";

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private TelegramUpdates() {
    }

    public static CallbackQueryBuilder callbackQuery() {
        return new CallbackQueryBuilder();
    }

    public static ReplyBuilder replyMessage() {
        return new ReplyBuilder();
    }

    /** One update; {@code json} is the exact body Telegram sends. */
    public record Update(long updateId, ObjectNode json) {
        public String body() {
            return json.toString();
        }

        /** The callback query id, for updates that carry one. */
        public String callbackQueryId() {
            return json.path("callback_query").path("id").asText(null);
        }

        public WebhookRequest withSecret(String secretToken) {
            return new WebhookRequest(body(), secretToken);
        }

        /** With a secret token other than the one the webhook was set with. */
        public WebhookRequest withWrongSecret() {
            return new WebhookRequest(body(), "wrong-" + HexFormat.of().formatHex(randomBytes(12)));
        }

        public WebhookRequest withoutSecret() {
            return new WebhookRequest(body(), null);
        }
    }

    /** A webhook delivery; {@code secretToken} null means no secret header. */
    public record WebhookRequest(String body, String secretToken) {
        public Map<String, String> headers() {
            Map<String, String> h = new LinkedHashMap<>();
            h.put("Content-Type", "application/json");
            if (secretToken != null) {
                h.put(SECRET_HEADER, secretToken);
            }
            return h;
        }

        public HttpResponse<String> post(URI webhookUrl) {
            HttpRequest.Builder b = HttpRequest.newBuilder(webhookUrl).timeout(Duration.ofSeconds(30))
                    .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
            headers().forEach(b::header);
            try {
                return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                throw new IllegalStateException("POST " + webhookUrl + " failed", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }

        @Override
        public String toString() {
            return "WebhookRequest[body=" + body + ", secretToken=" + (secretToken == null ? "none" : "***") + "]";
        }
    }

    // ---- builders ----

    static ObjectNode userJson(long id, String username, String firstName) {
        ObjectNode u = NODES.objectNode();
        u.put("id", id);
        u.put("is_bot", false);
        u.put("first_name", firstName);
        if (username != null) {
            u.put("username", username);
        }
        u.put("language_code", "en");
        return u;
    }

    static ObjectNode privateChatJson(long userId, String username, String firstName) {
        ObjectNode c = NODES.objectNode();
        c.put("id", userId);
        c.put("first_name", firstName);
        if (username != null) {
            c.put("username", username);
        }
        c.put("type", "private");
        return c;
    }

    static long randomUpdateId() {
        return 100_000_000L + RANDOM.nextInt(800_000_000);
    }

    static String randomQueryId() {
        return Long.toUnsignedString(RANDOM.nextLong() >>> 1);
    }

    /** A {@code callback_query} update: a user pressed an inline keyboard button. */
    public static final class CallbackQueryBuilder {
        private long updateId = randomUpdateId();
        private String id = randomQueryId();
        private ObjectNode from;
        private JsonNode message;
        private String data;
        private String chatInstance = Long.toString(RANDOM.nextLong());

        public CallbackQueryBuilder updateId(long v) {
            updateId = v;
            return this;
        }

        /** Any id; FakeTelegram answers only queries it issued ({@link FakeTelegram#pressButton}). */
        public CallbackQueryBuilder id(String v) {
            id = v;
            return this;
        }

        public CallbackQueryBuilder from(long userId, String username, String firstName) {
            from = userJson(userId, username, firstName);
            return this;
        }

        /** The message the keyboard belongs to, as Telegram holds it. */
        public CallbackQueryBuilder message(JsonNode messageJson) {
            message = messageJson.deepCopy();
            return this;
        }

        /** A bare bot message in a private chat with the presser, when no real message is at hand. */
        public CallbackQueryBuilder message(long chatId, long messageId) {
            ObjectNode m = NODES.objectNode();
            m.put("message_id", messageId);
            ObjectNode chat = m.putObject("chat");
            chat.put("id", chatId);
            chat.put("type", chatId > 0 ? "private" : "group");
            m.put("date", Instant.now().getEpochSecond());
            message = m;
            return this;
        }

        public CallbackQueryBuilder data(String callbackData) {
            data = callbackData;
            return this;
        }

        public Update build() {
            if (from == null) {
                throw new IllegalStateException("from(userId, username, firstName) is required");
            }
            ObjectNode u = NODES.objectNode();
            u.put("update_id", updateId);
            ObjectNode q = u.putObject("callback_query");
            q.put("id", id);
            q.set("from", from);
            if (message != null) {
                q.set("message", message);
            }
            q.put("chat_instance", chatInstance);
            if (data != null) {
                q.put("data", data);
            }
            return new Update(updateId, u);
        }
    }

    /** A {@code message} update: a user's text message, replying to another message. */
    public static final class ReplyBuilder {
        private long updateId = randomUpdateId();
        private long messageId = 1 + RANDOM.nextInt(1_000_000);
        private ObjectNode from;
        private ObjectNode chat;
        private String text;
        private JsonNode replyTo;
        private long date = Instant.now().getEpochSecond();

        public ReplyBuilder updateId(long v) {
            updateId = v;
            return this;
        }

        public ReplyBuilder messageId(long v) {
            messageId = v;
            return this;
        }

        /** The sender; in a private chat also the chat. */
        public ReplyBuilder from(long userId, String username, String firstName) {
            from = userJson(userId, username, firstName);
            if (chat == null) {
                chat = privateChatJson(userId, username, firstName);
            }
            return this;
        }

        public ReplyBuilder chat(JsonNode chatJson) {
            chat = chatJson.deepCopy();
            return this;
        }

        public ReplyBuilder text(String v) {
            text = v;
            return this;
        }

        /** The message replied to, as Telegram holds it. */
        public ReplyBuilder replyTo(JsonNode messageJson) {
            replyTo = messageJson.deepCopy();
            return this;
        }

        public ReplyBuilder date(long epochSeconds) {
            date = epochSeconds;
            return this;
        }

        public Update build() {
            if (from == null || text == null) {
                throw new IllegalStateException("from(...) and text(...) are required");
            }
            ObjectNode u = NODES.objectNode();
            u.put("update_id", updateId);
            ObjectNode m = u.putObject("message");
            m.put("message_id", messageId);
            m.set("from", from);
            m.set("chat", chat);
            m.put("date", date);
            if (replyTo != null) {
                ObjectNode r = replyTo.deepCopy();
                r.remove("reply_to_message"); // Telegram does not nest replies further
                m.set("reply_to_message", r);
            }
            m.put("text", text);
            return new Update(updateId, u);
        }
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }
}
