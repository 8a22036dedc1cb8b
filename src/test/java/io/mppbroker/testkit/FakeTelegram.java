package io.mppbroker.testkit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import io.mppbroker.testkit.LocalHttpServer.Reply;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.mppbroker.testkit.WireParams.NODES;
import static io.mppbroker.testkit.WireParams.text;

/**
 * A local stand-in for the Telegram Bot API methods an approval flow needs (https://core.telegram.org/bots/api),
 * speaking its wire format so {@code telegrambots-client} works against it with
 * {@code new OkHttpTelegramClient(token, TelegramUrl.builder().schema("http").host("127.0.0.1").port(fake.port())
 * .build())}:
 * <ul>
 *   <li>{@code /bot<token>/<method>} (method names case-insensitive), GET or POST, arguments in the query string,
 *       a JSON, form-urlencoded or multipart body; JSON-valued arguments ({@code reply_markup}) as JSON or as a
 *       JSON-encoded string;</li>
 *   <li>answers {@code {"ok":true,"result":...}}, errors {@code {"ok":false,"error_code":N,"description":...}}
 *       with HTTP status N; another token gives 401 {@code Unauthorized}, an unknown method 404;</li>
 *   <li>{@code getMe}, {@code sendMessage}, {@code editMessageText}, {@code editMessageReplyMarkup},
 *       {@code answerCallbackQuery}, {@code setWebhook}, {@code deleteWebhook}, {@code getWebhookInfo};</li>
 *   <li>Telegram's rules that bite bots: {@code callback_data} of 1-64 bytes ({@code BUTTON_DATA_INVALID}),
 *       buttons need an action, {@code parse_mode} text is parsed and refused when malformed
 *       ({@link TelegramText}), text of 1-4096 characters, editing without {@code reply_markup} removes the
 *       inline keyboard, an edit that changes nothing is refused ({@code message is not modified}), callback
 *       queries are answered once, a chat must exist and the user must not have blocked the bot, webhooks must
 *       be HTTPS on ports 443, 80, 88 or 8443.</li>
 * </ul>
 * Switches: {@link #failNext} (429 with {@code parameters.retry_after}, or 5xx), {@link #down}. Never logs; the
 * token never appears in records.
 */
public final class FakeTelegram implements AutoCloseable {

    public static final int MAX_TEXT = 4096;
    public static final int MAX_CALLBACK_DATA_BYTES = 64;
    public static final String BOT_USERNAME = "mpp_broker_fake_bot";
    public static final String BOT_FIRST_NAME = "MPP Broker";

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Pattern PATH = Pattern.compile("/bot([^/]+)/([A-Za-z]+)/?");
    private static final Pattern TOKEN = Pattern.compile("([0-9]{1,20}):[A-Za-z0-9_-]{30,}");
    private static final Pattern SECRET_TOKEN = Pattern.compile("[A-Za-z0-9_-]{1,256}");
    private static final Set<Integer> WEBHOOK_PORTS = Set.of(443, 80, 88, 8443);
    private static final Set<String> BUTTON_ACTIONS = Set.of("url", "callback_data", "web_app", "login_url",
            "switch_inline_query", "switch_inline_query_current_chat", "switch_inline_query_chosen_chat",
            "copy_text", "callback_game", "pay");
    private static final String NOT_MODIFIED = "Bad Request: message is not modified: specified new message content"
            + " and reply markup are exactly the same as a current content and reply markup of the message";

    /** One request to a Bot API method; {@code params} as received. */
    public record Call(String method, String httpMethod, String contentType, JsonNode params, int status,
                       JsonNode response, boolean injectedFailure) {
        public boolean ok() {
            return response != null && response.path("ok").asBoolean(false);
        }

        public String description() {
            return response == null ? null : response.path("description").asText(null);
        }
    }

    /** One state of a message; {@code via} is the method that produced it. */
    public record MessageVersion(String text, JsonNode entities, JsonNode replyMarkup, String via, Instant at) {
    }

    /** A message in a chat, the bot's or a user's, with its current state and every version. */
    public record ChatMessage(long chatId, long messageId, boolean fromBot, long fromId, String text,
                              JsonNode entities, JsonNode replyMarkup, Long replyToMessageId,
                              List<MessageVersion> history) {
        public boolean edited() {
            return history.size() > 1;
        }

        /** The callback_data of each inline button, row by row. */
        public List<String> callbackData() {
            List<String> data = new ArrayList<>();
            if (replyMarkup != null) {
                replyMarkup.path("inline_keyboard").forEach(row -> row.forEach(b -> {
                    if (b.has("callback_data")) {
                        data.add(b.get("callback_data").asText());
                    }
                }));
            }
            return data;
        }

        /** The labels of the inline buttons, row by row. */
        public List<String> buttonTexts() {
            List<String> texts = new ArrayList<>();
            if (replyMarkup != null) {
                replyMarkup.path("inline_keyboard").forEach(row -> row.forEach(b -> texts.add(b.path("text").asText())));
            }
            return texts;
        }
    }

    public record CallbackAnswer(String callbackQueryId, long userId, long chatId, long messageId, String data,
                                 String text, boolean showAlert, String url, Integer cacheTime) {
    }

    /** The webhook as set; toString hides the secret token. */
    public record Webhook(String url, String secretToken, List<String> allowedUpdates, Integer maxConnections,
                         boolean dropPendingUpdates) {
        @Override
        public String toString() {
            return "Webhook[url=" + url + ", secretToken=" + (secretToken == null ? "none" : "***")
                    + ", allowedUpdates=" + allowedUpdates + ", maxConnections=" + maxConnections + "]";
        }
    }

    public record TelegramUser(long id, String username, String firstName) {
    }

    private final LocalHttpServer http;
    private final String botToken;
    private final long botId;
    private final Object lock = new Object();
    private final Map<Long, User> users = new LinkedHashMap<>();
    private final Map<Long, Chat> chats = new LinkedHashMap<>();
    private final Map<String, Query> queries = new LinkedHashMap<>();
    private final List<CallbackAnswer> answers = new ArrayList<>();
    private final List<Call> calls = new ArrayList<>();
    private final Map<String, Function<JsonNode, JsonNode>> methods = new LinkedHashMap<>();
    private final AtomicLong nextUpdateId = new AtomicLong(TelegramUpdates.randomUpdateId());
    private final AtomicLong clockOffsetMillis = new AtomicLong();
    private final LocalHttpServer.InjectedFailures failures = new LocalHttpServer.InjectedFailures();
    private Webhook webhook;

    private FakeTelegram(String botToken) {
        Matcher m = TOKEN.matcher(botToken);
        if (!m.matches()) {
            throw new IllegalArgumentException("a bot token looks like 123456789:AA... (35 characters after the colon)");
        }
        this.botToken = botToken;
        this.botId = Long.parseLong(m.group(1));
        methods.put("getme", p -> botUserJson());
        methods.put("sendmessage", this::sendMessage);
        methods.put("editmessagetext", this::editMessageText);
        methods.put("editmessagereplymarkup", this::editMessageReplyMarkup);
        methods.put("answercallbackquery", this::answerCallbackQuery);
        methods.put("setwebhook", this::setWebhook);
        methods.put("deletewebhook", p -> deleteWebhook());
        methods.put("getwebhookinfo", p -> webhookInfo());
        this.http = new LocalHttpServer("fake-telegram", "application/json", this::handle);
    }

    /** A fake bot with a fresh random token. */
    public static FakeTelegram start() {
        StringBuilder secret = new StringBuilder("AA");
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
        for (int i = 0; i < 33; i++) {
            secret.append(alphabet.charAt(RANDOM.nextInt(alphabet.length())));
        }
        return start((7_000_000_000L + RANDOM.nextInt(999_999_999)) + ":" + secret);
    }

    public static FakeTelegram start(String botToken) {
        return new FakeTelegram(botToken);
    }

    /** {@code http://127.0.0.1:PORT}: the Bot API root; a method is at {@code baseUrl + "/bot" + token + "/" + name}. */
    public String baseUrl() {
        return http.origin();
    }

    public String host() {
        return "127.0.0.1";
    }

    public int port() {
        return http.port();
    }

    public String botToken() {
        return botToken;
    }

    public long botId() {
        return botId;
    }

    // ---- setup ----

    /** A user who has started the bot: their private chat (id = user id) exists. */
    public TelegramUser addUser(long userId, String username, String firstName) {
        synchronized (lock) {
            User u = new User(userId, username, firstName);
            users.put(userId, u);
            chats.put(userId, new Chat(userId, "private", null, u));
            return new TelegramUser(userId, username, firstName);
        }
    }

    /** A group the bot is in (group ids are negative). */
    public void addGroup(long chatId, String title) {
        synchronized (lock) {
            chats.put(chatId, new Chat(chatId, chatId <= -1_000_000_000_000L ? "supergroup" : "group", title, null));
        }
    }

    /** The user blocks (true) or unblocks the bot: sending to them gives 403. */
    public void blockBot(long userId, boolean blocked) {
        synchronized (lock) {
            user(userId).blockedBot = blocked;
        }
    }

    // ---- switches ----

    /** The next {@code n} calls fail before any effect: 429 with {@code retry_after} 1, or this status. */
    public void failNext(int n, int httpStatus) {
        failNext(n, httpStatus, 1);
    }

    public void failNext(int n, int httpStatus, int retryAfterSeconds) {
        failures.failNext(n, httpStatus, retryAfterSeconds);
    }

    /** {@code true}: nothing listens on the port (connection refused); {@code false}: back on the same port. */
    public void down(boolean down) {
        http.down(down);
    }

    public void advanceTime(Duration d) {
        clockOffsetMillis.addAndGet(d.toMillis());
    }

    @Override
    public void close() {
        http.close();
    }

    // ---- introspection ----

    public List<Call> calls() {
        synchronized (lock) {
            return List.copyOf(calls);
        }
    }

    /** Calls of one method, matched case-insensitively ({@code "sendMessage"}). */
    public List<Call> calls(String method) {
        synchronized (lock) {
            return calls.stream().filter(c -> c.method.equalsIgnoreCase(method)).toList();
        }
    }

    /** Every message of a chat in order, the bot's and users'. */
    public List<ChatMessage> messages(long chatId) {
        synchronized (lock) {
            Chat c = chats.get(chatId);
            return c == null ? List.of() : c.messages.values().stream().map(this::snapshot).toList();
        }
    }

    /** Every message the bot sent, all chats. */
    public List<ChatMessage> botMessages() {
        synchronized (lock) {
            return chats.values().stream().flatMap(c -> c.messages.values().stream())
                    .filter(m -> m.fromBot).map(this::snapshot).toList();
        }
    }

    public Optional<ChatMessage> message(long chatId, long messageId) {
        synchronized (lock) {
            Chat c = chats.get(chatId);
            return Optional.ofNullable(c == null ? null : c.messages.get(messageId)).map(this::snapshot);
        }
    }

    public List<CallbackAnswer> callbackAnswers() {
        synchronized (lock) {
            return List.copyOf(answers);
        }
    }

    public Optional<Webhook> webhook() {
        synchronized (lock) {
            return Optional.ofNullable(webhook);
        }
    }

    // ---- what Telegram sends to the bot ----

    /**
     * The {@code callback_query} update Telegram sends when {@code userId} presses the inline button labelled
     * {@code buttonText} under a bot message: carries the button's callback_data as sent, the message as it is
     * now, and a query id {@code answerCallbackQuery} accepts once. Fails if there is no such button.
     */
    public TelegramUpdates.Update pressButton(long userId, long chatId, long messageId, String buttonText) {
        synchronized (lock) {
            User u = user(userId);
            Msg m = msg(chatId, messageId);
            String data = null;
            if (m.replyMarkup != null) {
                for (JsonNode row : m.replyMarkup.path("inline_keyboard")) {
                    for (JsonNode b : row) {
                        if (buttonText.equals(b.path("text").asText()) && b.has("callback_data")) {
                            data = b.get("callback_data").asText();
                        }
                    }
                }
            }
            if (data == null) {
                throw new IllegalArgumentException("message " + messageId + " in chat " + chatId
                        + " has no callback button labelled " + buttonText);
            }
            String queryId = TelegramUpdates.randomQueryId();
            queries.put(queryId, new Query(queryId, userId, chatId, messageId, data));
            return TelegramUpdates.callbackQuery()
                    .updateId(nextUpdateId.getAndIncrement())
                    .id(queryId)
                    .from(u.id, u.username, u.firstName)
                    .message(messageJson(m))
                    .data(data)
                    .build();
        }
    }

    /** The {@code message} update when {@code userId} replies with {@code text} to a message; the reply is kept. */
    public TelegramUpdates.Update reply(long userId, long chatId, long replyToMessageId, String text) {
        synchronized (lock) {
            User u = user(userId);
            Chat chat = chat(chatId);
            Msg original = msg(chatId, replyToMessageId);
            Msg reply = new Msg(chatId, chat.nextMessageId++, false, userId, nowSeconds(), replyToMessageId);
            reply.version(text, NODES.arrayNode(), null, "user reply", now());
            chat.messages.put(reply.messageId, reply);
            return TelegramUpdates.replyMessage()
                    .updateId(nextUpdateId.getAndIncrement())
                    .messageId(reply.messageId)
                    .from(u.id, u.username, u.firstName)
                    .chat(chat.json())
                    .date(reply.date)
                    .replyTo(messageJson(original))
                    .text(text)
                    .build();
        }
    }

    // ---- HTTP ----

    /** A Bot API error: HTTP status = error_code. */
    private static final class TelegramError extends RuntimeException {
        final int code;
        final String description;
        final ObjectNode parameters;

        TelegramError(int code, String description) {
            this(code, description, null);
        }

        TelegramError(int code, String description, ObjectNode parameters) {
            super(description, null, false, false);
            this.code = code;
            this.description = description;
            this.parameters = parameters;
        }

        static TelegramError badRequest(String detail) {
            return new TelegramError(400, "Bad Request: " + detail);
        }

        ObjectNode body() {
            ObjectNode b = NODES.objectNode();
            b.put("ok", false);
            b.put("error_code", code);
            b.put("description", description);
            if (parameters != null) {
                b.set("parameters", parameters);
            }
            return b;
        }
    }

    private Reply handle(HttpExchange exchange, byte[] body) {
        String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
        Matcher path = PATH.matcher(exchange.getRequestURI().getRawPath());
        String method = path.matches() ? path.group(2) : null;
        JsonNode params = NODES.objectNode();
        String mediaType = null;
        int status;
        ObjectNode response;
        boolean injected = false;
        try {
            WireParams.Parsed parsed = null;
            try {
                parsed = WireParams.parse(contentType, body, exchange.getRequestURI().getRawQuery());
                params = parsed.params();
                mediaType = parsed.mediaType();
            } catch (WireParams.WireException e) {
                // reported below, after routing, as Telegram does
            }
            Optional<LocalHttpServer.InjectedFailures.Failure> failure = method == null ? Optional.empty() : failures.take();
            if (failure.isPresent()) {
                injected = true;
                throw injectedFailure(failure.get());
            }
            if (method == null) {
                throw new TelegramError(404, "Not Found");
            }
            if (!path.group(1).equals(botToken)) {
                throw new TelegramError(401, "Unauthorized");
            }
            Function<JsonNode, JsonNode> handler = methods.get(method.toLowerCase(Locale.ROOT));
            if (handler == null) {
                throw new TelegramError(404, "Not Found");
            }
            if (parsed == null) {
                throw TelegramError.badRequest("invalid request body");
            }
            response = NODES.objectNode();
            response.put("ok", true);
            response.set("result", handler.apply(params));
            if (method.equalsIgnoreCase("setWebhook") || method.equalsIgnoreCase("deleteWebhook")) {
                response.put("description", webhook == null ? "Webhook was deleted" : "Webhook was set");
            }
            status = 200;
        } catch (TelegramError e) {
            status = e.code;
            response = e.body();
        } catch (RuntimeException e) {
            status = 500;
            response = new TelegramError(500, "Internal Server Error").body();
        }
        if (method != null) {
            synchronized (lock) {
                calls.add(new Call(method, exchange.getRequestMethod(), mediaType, params.deepCopy(), status,
                        response.deepCopy(), injected));
            }
        }
        return new Reply(status, response, Map.of());
    }

    private static TelegramError injectedFailure(LocalHttpServer.InjectedFailures.Failure failure) {
        int status = failure.status();
        if (status == 429) {
            int retryAfter = failure.retryAfterSeconds();
            ObjectNode parameters = NODES.objectNode().put("retry_after", retryAfter);
            return new TelegramError(429, "Too Many Requests: retry after " + retryAfter, parameters);
        }
        return new TelegramError(status, switch (status) {
            case 502 -> "Bad Gateway";
            case 503 -> "Service Unavailable";
            default -> "Internal Server Error";
        });
    }

    // ---- methods ----

    private JsonNode sendMessage(JsonNode p) {
        synchronized (lock) {
            Chat chat = chatFor(p);
            TelegramText.Parsed parsed = messageText(p);
            JsonNode markup = inlineKeyboard(p, true);
            Long replyTo = replyTarget(p, chat);
            Msg m = new Msg(chat.id, chat.nextMessageId++, true, botId, nowSeconds(), replyTo);
            m.version(parsed.text(), parsed.entities(), markup, "sendMessage", now());
            chat.messages.put(m.messageId, m);
            return messageJson(m);
        }
    }

    private JsonNode editMessageText(JsonNode p) {
        synchronized (lock) {
            Msg m = editable(p);
            TelegramText.Parsed parsed = messageText(p);
            // Without reply_markup Telegram drops the inline keyboard
            JsonNode markup = inlineKeyboard(p, false);
            if (m.text.equals(parsed.text()) && m.entities.equals(parsed.entities())
                    && Objects.equals(m.replyMarkup, markup)) {
                throw new TelegramError(400, NOT_MODIFIED);
            }
            m.version(parsed.text(), parsed.entities(), markup, "editMessageText", now());
            m.editDate = nowSeconds();
            return messageJson(m);
        }
    }

    private JsonNode editMessageReplyMarkup(JsonNode p) {
        synchronized (lock) {
            Msg m = editable(p);
            JsonNode markup = inlineKeyboard(p, false);
            if (Objects.equals(m.replyMarkup, markup)) {
                throw new TelegramError(400, NOT_MODIFIED);
            }
            m.version(m.text, m.entities, markup, "editMessageReplyMarkup", now());
            m.editDate = nowSeconds();
            return messageJson(m);
        }
    }

    private JsonNode answerCallbackQuery(JsonNode p) {
        synchronized (lock) {
            String id = text(p, "callback_query_id");
            if (id == null || id.isEmpty()) {
                throw TelegramError.badRequest("callback_query_id is empty");
            }
            Query q = queries.get(id);
            if (q == null || q.answered) {
                throw TelegramError.badRequest("query is too old and response timeout expired or query ID is invalid");
            }
            q.answered = true;
            String cacheTime = text(p, "cache_time");
            answers.add(new CallbackAnswer(id, q.userId, q.chatId, q.messageId, q.data, text(p, "text"),
                    WireParams.bool(p, "show_alert"), text(p, "url"),
                    cacheTime == null ? null : Integer.valueOf(cacheTime)));
            return NODES.booleanNode(true);
        }
    }

    private JsonNode setWebhook(JsonNode p) {
        synchronized (lock) {
            String url = text(p, "url");
            if (url == null || url.isEmpty()) {
                webhook = null;
                return NODES.booleanNode(true);
            }
            URI uri;
            try {
                uri = new URI(url);
            } catch (URISyntaxException e) {
                throw TelegramError.badRequest("bad webhook: Failed to resolve host: Name or service not known");
            }
            if (!"https".equalsIgnoreCase(uri.getScheme())) {
                throw TelegramError.badRequest("bad webhook: An HTTPS URL must be provided for webhook");
            }
            int port = uri.getPort() == -1 ? 443 : uri.getPort();
            if (!WEBHOOK_PORTS.contains(port)) {
                throw TelegramError.badRequest("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443");
            }
            String secret = text(p, "secret_token");
            if (secret != null && !SECRET_TOKEN.matcher(secret).matches()) {
                throw TelegramError.badRequest("secret token contains unallowed characters");
            }
            List<String> allowed = new ArrayList<>();
            try {
                JsonNode a = WireParams.json(p, "allowed_updates");
                if (a != null) {
                    a.forEach(x -> allowed.add(x.asText()));
                }
            } catch (JsonProcessingException e) {
                throw TelegramError.badRequest("can't parse allowed updates JSON array");
            }
            String max = text(p, "max_connections");
            webhook = new Webhook(url, secret, List.copyOf(allowed), max == null ? null : Integer.valueOf(max),
                    WireParams.bool(p, "drop_pending_updates"));
            return NODES.booleanNode(true);
        }
    }

    private JsonNode deleteWebhook() {
        synchronized (lock) {
            webhook = null;
            return NODES.booleanNode(true);
        }
    }

    private JsonNode webhookInfo() {
        synchronized (lock) {
            ObjectNode info = NODES.objectNode();
            info.put("url", webhook == null ? "" : webhook.url());
            info.put("has_custom_certificate", false);
            info.put("pending_update_count", 0);
            if (webhook != null) {
                info.put("max_connections", webhook.maxConnections() == null ? 40 : webhook.maxConnections());
                ArrayNode allowed = info.putArray("allowed_updates");
                webhook.allowedUpdates().forEach(allowed::add);
            }
            return info;
        }
    }

    // ---- argument rules ----

    private Chat chatFor(JsonNode p) {
        String chatId = text(p, "chat_id");
        if (chatId == null || chatId.isEmpty()) {
            throw TelegramError.badRequest("chat_id is empty");
        }
        Chat chat = null;
        if (chatId.startsWith("@")) {
            chat = chats.values().stream().filter(c -> c.user != null && chatId.substring(1).equals(c.user.username))
                    .findFirst().orElse(null);
        } else {
            try {
                chat = chats.get(Long.parseLong(chatId));
            } catch (NumberFormatException e) {
                // not found below
            }
        }
        if (chat == null) {
            throw TelegramError.badRequest("chat not found");
        }
        if (chat.user != null && chat.user.blockedBot) {
            throw new TelegramError(403, "Forbidden: bot was blocked by the user");
        }
        return chat;
    }

    private Msg editable(JsonNode p) {
        if (text(p, "inline_message_id") != null) {
            throw TelegramError.badRequest("MESSAGE_ID_INVALID"); // inline messages are not modelled
        }
        Chat chat = chatFor(p);
        String id = text(p, "message_id");
        if (id == null) {
            throw TelegramError.badRequest("message identifier is not specified");
        }
        Msg m;
        try {
            m = chat.messages.get(Long.parseLong(id));
        } catch (NumberFormatException e) {
            m = null;
        }
        if (m == null) {
            throw TelegramError.badRequest("message to edit not found");
        }
        if (!m.fromBot) {
            throw TelegramError.badRequest("message can't be edited");
        }
        return m;
    }

    private TelegramText.Parsed messageText(JsonNode p) {
        String raw = text(p, "text");
        if (raw == null) {
            throw TelegramError.badRequest("message text is empty");
        }
        TelegramText.Parsed parsed;
        try {
            parsed = TelegramText.parse(raw, text(p, "parse_mode"));
        } catch (TelegramText.ParseError e) {
            throw TelegramError.badRequest("can't parse entities: " + e.getMessage());
        } catch (TelegramText.UnsupportedParseMode e) {
            throw TelegramError.badRequest("unsupported parse_mode");
        }
        if (text(p, "parse_mode") == null && p.has("entities")) {
            try {
                JsonNode given = WireParams.json(p, "entities");
                if (given != null && given.isArray()) {
                    parsed = new TelegramText.Parsed(parsed.text(), (ArrayNode) given);
                }
            } catch (JsonProcessingException e) {
                throw TelegramError.badRequest("can't parse entities JSON object");
            }
        }
        if (parsed.text().isEmpty()) {
            throw TelegramError.badRequest("message text is empty");
        }
        if (parsed.text().length() > MAX_TEXT) {
            throw TelegramError.badRequest("message is too long");
        }
        return parsed;
    }

    /**
     * The inline keyboard of {@code reply_markup}, validated; null when absent. Other markups (reply keyboards,
     * force_reply) are accepted for sendMessage but, as at Telegram, not part of the message.
     */
    private JsonNode inlineKeyboard(JsonNode p, boolean otherMarkupAllowed) {
        JsonNode markup;
        try {
            markup = WireParams.json(p, "reply_markup");
        } catch (JsonProcessingException e) {
            throw TelegramError.badRequest("can't parse reply keyboard markup JSON object");
        }
        if (markup == null) {
            return null;
        }
        if (!markup.isObject()) {
            throw TelegramError.badRequest("can't parse reply keyboard markup JSON object");
        }
        if (!markup.has("inline_keyboard")) {
            if (otherMarkupAllowed) {
                return null;
            }
            throw TelegramError.badRequest("inline keyboard expected");
        }
        JsonNode rows = markup.get("inline_keyboard");
        if (!rows.isArray()) {
            throw TelegramError.badRequest("field \"inline_keyboard\" of the InlineKeyboardMarkup should be an Array");
        }
        ArrayNode clean = NODES.arrayNode();
        for (JsonNode row : rows) {
            if (!row.isArray()) {
                throw TelegramError.badRequest("field \"inline_keyboard\" of the InlineKeyboardMarkup should be an Array of Arrays");
            }
            ArrayNode cleanRow = clean.addArray();
            for (JsonNode button : row) {
                cleanRow.add(button(button));
            }
        }
        ObjectNode result = NODES.objectNode();
        result.set("inline_keyboard", clean);
        return result;
    }

    private static ObjectNode button(JsonNode b) {
        if (!b.isObject() || !b.path("text").isTextual()) {
            throw TelegramError.badRequest("can't parse inline keyboard button: Field \"text\" must be of type String");
        }
        ObjectNode clean = NODES.objectNode();
        clean.put("text", b.get("text").asText());
        int actions = 0;
        for (String action : BUTTON_ACTIONS) {
            if (b.has(action) && !b.get(action).isNull()) {
                actions++;
                clean.set(action, b.get(action).deepCopy());
            }
        }
        if (actions == 0) {
            throw TelegramError.badRequest("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard");
        }
        if (clean.has("callback_data")) {
            int bytes = clean.get("callback_data").asText().getBytes(StandardCharsets.UTF_8).length;
            if (bytes < 1 || bytes > MAX_CALLBACK_DATA_BYTES) {
                throw TelegramError.badRequest("BUTTON_DATA_INVALID");
            }
        }
        if (clean.has("url")) {
            String url = clean.get("url").asText().toLowerCase(Locale.ROOT);
            if (!(url.startsWith("https://") || url.startsWith("http://") || url.startsWith("tg://"))) {
                throw TelegramError.badRequest("BUTTON_URL_INVALID");
            }
        }
        return clean;
    }

    private Long replyTarget(JsonNode p, Chat chat) {
        String id = text(p, "reply_to_message_id");
        try {
            JsonNode rp = WireParams.json(p, "reply_parameters");
            if (rp != null && rp.has("message_id")) {
                id = rp.get("message_id").asText();
            }
        } catch (JsonProcessingException e) {
            throw TelegramError.badRequest("can't parse reply parameters JSON object");
        }
        if (id == null) {
            return null;
        }
        long target = Long.parseLong(id);
        if (!chat.messages.containsKey(target)) {
            throw TelegramError.badRequest("message to be replied not found");
        }
        return target;
    }

    // ---- JSON shapes ----

    private ObjectNode botUserJson() {
        ObjectNode u = NODES.objectNode();
        u.put("id", botId);
        u.put("is_bot", true);
        u.put("first_name", BOT_FIRST_NAME);
        u.put("username", BOT_USERNAME);
        u.put("can_join_groups", true);
        u.put("can_read_all_group_messages", false);
        u.put("supports_inline_queries", false);
        u.put("can_connect_to_business", false);
        u.put("has_main_web_app", false);
        return u;
    }

    private ObjectNode messageJson(Msg m) {
        ObjectNode j = NODES.objectNode();
        j.put("message_id", m.messageId);
        if (m.fromBot) {
            ObjectNode from = botUserJson();
            ObjectNode slim = NODES.objectNode();
            slim.set("id", from.get("id"));
            slim.set("is_bot", from.get("is_bot"));
            slim.set("first_name", from.get("first_name"));
            slim.set("username", from.get("username"));
            j.set("from", slim);
        } else {
            User u = users.get(m.fromId);
            j.set("from", TelegramUpdates.userJson(u.id, u.username, u.firstName));
        }
        j.set("chat", chats.get(m.chatId).json());
        j.put("date", m.date);
        if (m.editDate != null) {
            j.put("edit_date", m.editDate);
        }
        if (m.replyTo != null) {
            Msg original = chats.get(m.chatId).messages.get(m.replyTo);
            ObjectNode r = messageJson(original);
            r.remove("reply_to_message");
            j.set("reply_to_message", r);
        }
        j.put("text", m.text);
        if (!m.entities.isEmpty()) {
            j.set("entities", m.entities.deepCopy());
        }
        if (m.replyMarkup != null) {
            j.set("reply_markup", m.replyMarkup.deepCopy());
        }
        return j;
    }

    private ChatMessage snapshot(Msg m) {
        return new ChatMessage(m.chatId, m.messageId, m.fromBot, m.fromId, m.text, m.entities.deepCopy(),
                m.replyMarkup == null ? null : m.replyMarkup.deepCopy(), m.replyTo, List.copyOf(m.history));
    }

    // ---- helpers ----

    private User user(long id) {
        User u = users.get(id);
        if (u == null) {
            throw new IllegalArgumentException("no user " + id + "; add it with addUser");
        }
        return u;
    }

    private Chat chat(long id) {
        Chat c = chats.get(id);
        if (c == null) {
            throw new IllegalArgumentException("no chat " + id);
        }
        return c;
    }

    private Msg msg(long chatId, long messageId) {
        Msg m = chat(chatId).messages.get(messageId);
        if (m == null) {
            throw new IllegalArgumentException("no message " + messageId + " in chat " + chatId);
        }
        return m;
    }

    private Instant now() {
        return Instant.now().plusMillis(clockOffsetMillis.get());
    }

    private long nowSeconds() {
        return now().getEpochSecond();
    }

    // ---- state ----

    private static final class User {
        final long id;
        final String username;
        final String firstName;
        boolean blockedBot;

        User(long id, String username, String firstName) {
            this.id = id;
            this.username = username;
            this.firstName = firstName;
        }
    }

    private static final class Chat {
        final long id;
        final String type;
        final String title;
        final User user;
        final Map<Long, Msg> messages = new LinkedHashMap<>();
        long nextMessageId = 1;

        Chat(long id, String type, String title, User user) {
            this.id = id;
            this.type = type;
            this.title = title;
            this.user = user;
        }

        ObjectNode json() {
            if (user != null) {
                return TelegramUpdates.privateChatJson(user.id, user.username, user.firstName);
            }
            ObjectNode c = NODES.objectNode();
            c.put("id", id);
            c.put("title", title);
            c.put("type", type);
            return c;
        }
    }

    private static final class Msg {
        final long chatId;
        final long messageId;
        final boolean fromBot;
        final long fromId;
        final long date;
        final Long replyTo;
        final List<MessageVersion> history = new ArrayList<>();
        String text;
        ArrayNode entities;
        JsonNode replyMarkup;
        Long editDate;

        Msg(long chatId, long messageId, boolean fromBot, long fromId, long date, Long replyTo) {
            this.chatId = chatId;
            this.messageId = messageId;
            this.fromBot = fromBot;
            this.fromId = fromId;
            this.date = date;
            this.replyTo = replyTo;
        }

        void version(String newText, ArrayNode newEntities, JsonNode newMarkup, String via, Instant at) {
            text = newText;
            entities = newEntities;
            replyMarkup = newMarkup;
            history.add(new MessageVersion(newText, newEntities.deepCopy(),
                    newMarkup == null ? null : newMarkup.deepCopy(), via, at));
        }
    }

    private static final class Query {
        final String id;
        final long userId;
        final long chatId;
        final long messageId;
        final String data;
        boolean answered;

        Query(String id, long userId, long chatId, long messageId, String data) {
            this.id = id;
            this.userId = userId;
            this.chatId = chatId;
            this.messageId = messageId;
            this.data = data;
        }
    }
}
