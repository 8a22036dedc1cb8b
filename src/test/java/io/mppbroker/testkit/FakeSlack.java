package io.mppbroker.testkit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import io.mppbroker.testkit.LocalHttpServer.Reply;

import java.io.IOException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.regex.Pattern;

import static io.mppbroker.testkit.WireParams.NODES;
import static io.mppbroker.testkit.WireParams.text;

/**
 * A local stand-in for the Slack Web API methods an approval flow needs (https://api.slack.com/methods), speaking
 * Slack's wire format so the official {@code slack-api-client} works against it with
 * {@code SlackConfig.setMethodsEndpointUrlPrefix(fake.baseUrl())}:
 * <ul>
 *   <li>{@code POST /api/<method>} with a form-urlencoded, multipart or JSON body ({@code application/json} without a
 *       charset is accepted with Slack's {@code missing_charset} warning); JSON-valued arguments ({@code blocks},
 *       {@code view}, {@code metadata}) as a JSON-encoded string in forms or plain JSON in JSON bodies;</li>
 *   <li>the bot token as {@code Authorization: Bearer xoxb-...} (or a {@code token} form field, which Slack still
 *       allows); none gives {@code not_authed}, another gives {@code invalid_auth}; errors are HTTP 200 with
 *       {@code {"ok":false,"error":...}} as at Slack, an unknown method 404 {@code unknown_method};</li>
 *   <li>{@code chat.postMessage}, {@code chat.update}, {@code chat.postEphemeral}, {@code views.open},
 *       {@code views.update}, {@code auth.test}, {@code users.info}, {@code users.lookupByEmail},
 *       {@code conversations.open};</li>
 *   <li>Block Kit validation with Slack's limits ({@link SlackBlockKit}): {@code invalid_blocks} with pointers,
 *       {@code invalid_blocks_format} when {@code blocks} is not a JSON array;</li>
 *   <li>trigger ids from {@link #clickButton}/{@link #viewSubmission}/{@link #issueTriggerId} valid for 3 seconds and
 *       once ({@code expired_trigger_id}, {@code exchanged_trigger_id}, {@code invalid_trigger_id});</li>
 *   <li>{@code POST /response/<id>}: the {@code response_url} of an interaction, usable 5 times in 30 minutes,
 *       honouring {@code replace_original}, {@code delete_original} and {@code response_type}.</li>
 * </ul>
 * Switches: {@link #failNext} (429 with {@code Retry-After}, or 5xx), {@link #down} (nothing listens),
 * {@link #advanceTime}. Never logs; recorded calls drop the token.
 */
public final class FakeSlack implements AutoCloseable {

    public static final String TEAM_ID = "T0FAKETEAM";
    public static final String TEAM_DOMAIN = "fake-workspace";
    public static final String BOT_USER_ID = "U0FAKEBOT";
    public static final String BOT_ID = "B0FAKEBOT";
    public static final String APP_ID = "A0FAKEAPP";
    public static final Duration TRIGGER_LIFETIME = Duration.ofSeconds(3);
    public static final Duration RESPONSE_URL_LIFETIME = Duration.ofMinutes(30);
    public static final int RESPONSE_URL_USES = 5;

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String UPPER_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    private static final Pattern TRIGGER_FORMAT = Pattern.compile("[0-9]+\\.[0-9]+\\.[0-9a-f]+");
    private static final int MAX_TEXT = 40_000;

    /** One request to {@code /api/<method>}; {@code args} as received minus the token. */
    public record Call(String method, String httpMethod, String contentType, JsonNode args, int status,
                       JsonNode response, boolean injectedFailure) {
        public boolean ok() {
            return response != null && response.path("ok").asBoolean(false);
        }

        public String error() {
            return response == null ? null : response.path("error").asText(null);
        }
    }

    /** One state of a message; {@code via} names what produced it (chat.postMessage, chat.update, response_url). */
    public record MessageVersion(String text, JsonNode blocks, String via, Instant at) {
    }

    /** A message in a channel with its current content and every version, the first being the original post. */
    public record PostedMessage(String channel, String ts, String threadTs, String text, JsonNode blocks,
                                JsonNode metadata, boolean deleted, List<MessageVersion> history) {
        public boolean edited() {
            return history.size() > 1;
        }
    }

    public record EphemeralMessage(String channel, String user, String ts, String threadTs, String text,
                                   JsonNode blocks, String via) {
    }

    /** A modal as the fake holds it; {@code view} is what views.open/views.update answered last. */
    public record OpenedView(String id, String externalId, String userId, String callbackId, String privateMetadata,
                             String hash, JsonNode view, List<JsonNode> history) {
    }

    /** A POST to a response_url: the JSON sent, and the status and error the fake answered. */
    public record ResponseUrlPost(String id, JsonNode body, int status, String error) {
    }

    public record SlackUser(String id, String name, String realName, String email, boolean deleted) {
    }

    private final LocalHttpServer http;
    private final String botToken;
    private final Object lock = new Object();
    private final Map<String, User> users = new LinkedHashMap<>();
    private final Map<String, Channel> channels = new LinkedHashMap<>();
    private final Map<String, Message> messages = new LinkedHashMap<>();
    private final List<EphemeralMessage> ephemerals = new ArrayList<>();
    private final Map<String, View> views = new LinkedHashMap<>();
    private final Map<String, Trigger> triggers = new LinkedHashMap<>();
    private final Map<String, ResponseUrl> responseUrls = new LinkedHashMap<>();
    private final List<ResponseUrlPost> responsePosts = new ArrayList<>();
    private final List<Call> calls = new ArrayList<>();
    private final Map<String, Function<JsonNode, ObjectNode>> methods = new LinkedHashMap<>();
    private final AtomicLong clockOffsetMillis = new AtomicLong();
    private final AtomicLong lastTsMicros = new AtomicLong();
    private final LocalHttpServer.InjectedFailures failures = new LocalHttpServer.InjectedFailures();

    private FakeSlack(String botToken) {
        this.botToken = botToken;
        methods.put("chat.postMessage", this::postMessage);
        methods.put("chat.update", this::update);
        methods.put("chat.postEphemeral", this::postEphemeral);
        methods.put("views.open", this::viewsOpen);
        methods.put("views.update", this::viewsUpdate);
        methods.put("auth.test", args -> authTest());
        methods.put("users.info", this::usersInfo);
        methods.put("users.lookupByEmail", this::usersLookupByEmail);
        methods.put("conversations.open", this::conversationsOpen);
        this.http = new LocalHttpServer("fake-slack", "application/json; charset=utf-8", this::handle);
    }

    /** A fake workspace whose bot token is a fresh random {@code xoxb-...}. */
    public static FakeSlack start() {
        return start("xoxb-" + digits(12) + "-" + digits(13) + "-" + randomString(24, UPPER_ALNUM + "abcdefghijklmnopqrstuvwxyz"));
    }

    public static FakeSlack start(String botToken) {
        if (botToken == null || botToken.isBlank()) {
            throw new IllegalArgumentException("bot token required");
        }
        return new FakeSlack(botToken);
    }

    /** Web API base, ending in {@code /api/}: the value for {@code methodsEndpointUrlPrefix}. */
    public String baseUrl() {
        return http.origin() + "/api/";
    }

    public int port() {
        return http.port();
    }

    public String botToken() {
        return botToken;
    }

    // ---- workspace setup ----

    public SlackUser addUser(String id, String name) {
        return addUser(id, name, name, name + "@example.com");
    }

    public SlackUser addUser(String id, String name, String realName, String email) {
        synchronized (lock) {
            User u = new User(id, name, realName, email);
            users.put(id, u);
            return u.snapshot();
        }
    }

    /** Deactivates a user: users.info shows {@code deleted: true}; posts to their DM fail. */
    public void deactivateUser(String id) {
        synchronized (lock) {
            user(id).deleted = true;
        }
    }

    /** A public channel with the bot as a member and the given users. */
    public void addChannel(String id, String name, String... memberUserIds) {
        synchronized (lock) {
            Channel c = new Channel(id, name, null);
            c.members.addAll(List.of(memberUserIds));
            channels.put(id, c);
        }
    }

    /** The bot leaves the channel: posting there then fails with {@code not_in_channel}. */
    public void removeBotFromChannel(String channelId) {
        synchronized (lock) {
            Channel c = channels.get(channelId);
            if (c == null) {
                throw new IllegalArgumentException("no channel " + channelId);
            }
            c.botMember = false;
        }
    }

    /** The id of the bot's DM channel with a user (what chat.postMessage to a user id answers as channel). */
    public String dmChannelId(String userId) {
        return "D" + userId.substring(1);
    }

    // ---- switches ----

    /** The next {@code n} API calls fail before any effect: 429 with {@code Retry-After: 1}, or this 5xx. */
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

    /** Moves this fake's clock forward (trigger id and response_url expiry). */
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

    public List<Call> calls(String method) {
        synchronized (lock) {
            return calls.stream().filter(c -> c.method.equals(method)).toList();
        }
    }

    /** Channel messages in posting order (ephemeral ones are in {@link #ephemeralMessages()}). */
    public List<PostedMessage> messages() {
        synchronized (lock) {
            return messages.values().stream().map(Message::snapshot).toList();
        }
    }

    public List<PostedMessage> messages(String channel) {
        synchronized (lock) {
            String id = channelIdOrSelf(channel);
            return messages.values().stream().filter(m -> m.channel.equals(id)).map(Message::snapshot).toList();
        }
    }

    /** A message by channel (id, name, or a user id for the DM) and ts. */
    public Optional<PostedMessage> message(String channel, String ts) {
        synchronized (lock) {
            Message m = messages.get(key(channelIdOrSelf(channel), ts));
            return Optional.ofNullable(m).map(Message::snapshot);
        }
    }

    public List<EphemeralMessage> ephemeralMessages() {
        synchronized (lock) {
            return List.copyOf(ephemerals);
        }
    }

    public List<OpenedView> views() {
        synchronized (lock) {
            return views.values().stream().map(View::snapshot).toList();
        }
    }

    public Optional<OpenedView> view(String viewId) {
        synchronized (lock) {
            return Optional.ofNullable(views.get(viewId)).map(View::snapshot);
        }
    }

    public List<ResponseUrlPost> responseUrlPosts() {
        synchronized (lock) {
            return List.copyOf(responsePosts);
        }
    }

    // ---- what Slack sends to the app ----

    /** A trigger id for this user, valid for {@link #TRIGGER_LIFETIME} and one views.open. */
    public String issueTriggerId(String userId) {
        synchronized (lock) {
            String id = (nowMillis() / 1000) + "." + digits(10) + "." + HexFormat.of().formatHex(randomBytes(16));
            triggers.put(id, new Trigger(userId, nowMillis()));
            return id;
        }
    }

    /** A response_url tied to a message (null channel/ts for none), as Slack puts into interaction payloads. */
    public String issueResponseUrl(String channel, String messageTs, String userId) {
        synchronized (lock) {
            String id = TEAM_ID + "/" + digits(13) + "/" + randomString(24, UPPER_ALNUM);
            responseUrls.put(id, new ResponseUrl(id, channel == null ? null : channelIdOrSelf(channel), messageTs,
                    userId, nowMillis()));
            return http.origin() + "/response/" + id;
        }
    }

    /**
     * What Slack posts to the app when {@code userId} clicks the button {@code actionId} of a message this fake
     * holds: a {@code block_actions} payload carrying the button's value, block id and text as posted, the current
     * message, a fresh trigger id and a response_url. Fails if the message has no such button.
     */
    public SlackInteraction clickButton(String userId, String channel, String ts, String actionId) {
        synchronized (lock) {
            User u = user(userId);
            Channel ch = channel(channelIdOrSelf(channel));
            Message m = messages.get(key(ch.id, ts));
            if (m == null || m.deleted) {
                throw new IllegalArgumentException("no message " + ts + " in " + ch.id);
            }
            String blockId = null;
            JsonNode button = null;
            if (m.blocks != null) {
                for (JsonNode block : m.blocks) {
                    List<JsonNode> candidates = new ArrayList<>();
                    block.path("elements").forEach(candidates::add);
                    if (block.has("accessory")) {
                        candidates.add(block.get("accessory"));
                    }
                    for (JsonNode e : candidates) {
                        if ("button".equals(e.path("type").asText()) && actionId.equals(e.path("action_id").asText())) {
                            blockId = block.path("block_id").asText();
                            button = e;
                        }
                    }
                }
            }
            if (button == null) {
                throw new IllegalArgumentException("message " + ts + " has no button with action_id " + actionId);
            }
            return SlackInteraction.blockActions()
                    .team(TEAM_ID, TEAM_DOMAIN)
                    .user(u.id, u.name)
                    .apiAppId(APP_ID)
                    .channel(ch.id, ch.im != null ? "directmessage" : ch.name)
                    .message(messageJson(m))
                    .action(blockId, button)
                    .triggerId(issueTriggerId(userId))
                    .responseUrl(issueResponseUrl(ch.id, ts, userId))
                    .build();
        }
    }

    /**
     * A {@code view_submission} payload for a modal this fake opened, submitted by the user it was opened for:
     * set values with {@link SlackInteraction.ViewSubmissionBuilder#input}; inputs left alone are sent empty.
     */
    public SlackInteraction.ViewSubmissionBuilder viewSubmission(String viewId) {
        synchronized (lock) {
            View v = views.get(viewId);
            if (v == null) {
                throw new IllegalArgumentException("no view " + viewId);
            }
            User u = users.get(v.userId);
            return SlackInteraction.viewSubmission()
                    .team(TEAM_ID, TEAM_DOMAIN)
                    .user(v.userId, u != null ? u.name : v.userId)
                    .apiAppId(APP_ID)
                    .view(v.json.deepCopy())
                    .triggerId(issueTriggerId(v.userId));
        }
    }

    // ---- HTTP ----

    /** A Slack API error: {@code {"ok":false,"error":code, ...extra}}. */
    private static final class SlackError extends RuntimeException {
        final String code;
        final ObjectNode extra;

        SlackError(String code) {
            this(code, null);
        }

        SlackError(String code, ObjectNode extra) {
            super(code, null, false, false);
            this.code = code;
            this.extra = extra;
        }

        ObjectNode body() {
            ObjectNode b = NODES.objectNode();
            b.put("ok", false);
            b.put("error", code);
            if (extra != null) {
                b.setAll(extra);
            }
            return b;
        }

        /** Block Kit problems, listed as Slack does under {@code errors} and {@code response_metadata}. */
        static SlackError withMessages(String code, List<String> problems, boolean listErrors) {
            ObjectNode extra = NODES.objectNode();
            if (listErrors) {
                ArrayNode errors = extra.putArray("errors");
                problems.forEach(errors::add);
            }
            ArrayNode messages = extra.putObject("response_metadata").putArray("messages");
            problems.forEach(p -> messages.add("[ERROR] " + p));
            return new SlackError(code, extra);
        }
    }

    private Reply handle(HttpExchange exchange, byte[] body) {
        String path = exchange.getRequestURI().getRawPath();
        Reply reply;
        try {
            if (path.startsWith("/api/")) {
                reply = api(exchange, path.substring("/api/".length()), body);
            } else if (path.startsWith("/response/")) {
                reply = responseUrl(exchange, path.substring("/response/".length()), body);
            } else {
                reply = new Reply(404, new SlackError("not_found").body(), Map.of());
            }
        } catch (RuntimeException e) {
            reply = new Reply(500, new SlackError("fatal_error").body(), Map.of());
        }
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("X-Slack-Req-Id", HexFormat.of().formatHex(randomBytes(16)));
        headers.putAll(reply.headers());
        return new Reply(reply.status(), reply.body(), headers);
    }

    private Reply api(HttpExchange exchange, String method, byte[] body) {
        String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
        WireParams.Parsed parsed = null;
        WireParams.WireException wireError = null;
        try {
            parsed = WireParams.parse(contentType, body, exchange.getRequestURI().getRawQuery());
        } catch (WireParams.WireException e) {
            wireError = e;
        }
        ObjectNode args = parsed != null ? parsed.params() : NODES.objectNode();
        String mediaType = parsed != null ? parsed.mediaType() : null;
        String token = bearer(exchange.getRequestHeaders().getFirst("Authorization"));
        boolean formBody = "application/x-www-form-urlencoded".equals(mediaType)
                || "multipart/form-data".equals(mediaType);
        if (token == null && formBody && args.hasNonNull("token")) {
            token = args.get("token").asText();
        }
        args.remove("token");
        JsonNode recordedArgs = args.deepCopy();
        Reply reply;
        Optional<LocalHttpServer.InjectedFailures.Failure> failure = failures.take();
        boolean injected = failure.isPresent();
        if (injected) {
            int status = failure.get().status();
            if (status == 429) {
                reply = new Reply(429, new SlackError("ratelimited").body(),
                        Map.of("Retry-After", Integer.toString(failure.get().retryAfterSeconds())));
            } else {
                reply = new Reply(status, new SlackError("internal_error").body(), Map.of());
            }
        } else if (!methods.containsKey(method)) {
            reply = new Reply(404, new SlackError("unknown_method").body(), Map.of());
        } else if (wireError != null) {
            reply = Reply.of(new SlackError(switch (wireError.problem) {
                case MISSING_CONTENT_TYPE -> "missing_post_type";
                case UNSUPPORTED_CONTENT_TYPE -> "invalid_post_type";
                case INVALID_CHARSET -> "invalid_charset";
                case MALFORMED_JSON -> "invalid_json";
                case MALFORMED_FORM -> "invalid_form_data";
            }).body());
        } else {
            try {
                if (token == null || token.isEmpty()) {
                    throw new SlackError("not_authed");
                }
                if (!token.equals(botToken)) {
                    throw new SlackError("invalid_auth");
                }
                ObjectNode result = methods.get(method).apply(args);
                if ("application/json".equals(mediaType) && parsed.charset() == null) {
                    result.put("warning", "missing_charset");
                    result.putObject("response_metadata").putArray("warnings").add("missing_charset");
                }
                reply = Reply.of(result);
            } catch (SlackError e) {
                reply = Reply.of(e.body());
            }
        }
        synchronized (lock) {
            calls.add(new Call(method, exchange.getRequestMethod(), mediaType, recordedArgs, reply.status(),
                    reply.body().deepCopy(), injected));
        }
        return reply;
    }

    private static String bearer(String authorization) {
        if (authorization == null) {
            return null;
        }
        String[] parts = authorization.trim().split("\\s+", 2);
        return parts.length == 2 && parts[0].equalsIgnoreCase("Bearer") ? parts[1].trim() : null;
    }

    // ---- methods ----

    private ObjectNode postMessage(JsonNode args) {
        synchronized (lock) {
            Channel ch = resolveForPosting(text(args, "channel"));
            Content c = content(args, null);
            String ts = nextTs();
            Message m = new Message(ch.id, ts, text(args, "thread_ts"), c.text, c.blocks, c.metadata,
                    "chat.postMessage", now());
            messages.put(key(ch.id, ts), m);
            ObjectNode r = ok();
            r.put("channel", ch.id);
            r.put("ts", ts);
            r.set("message", messageJson(m));
            return r;
        }
    }

    private ObjectNode update(JsonNode args) {
        synchronized (lock) {
            String channelId = text(args, "channel");
            // chat.update wants the conversation id (a DM's D... id, not the user id)
            Channel ch = channelId == null ? null : channels.get(channelId);
            if (ch == null) {
                throw new SlackError("channel_not_found");
            }
            String ts = text(args, "ts");
            Message m = ts == null ? null : messages.get(key(ch.id, ts));
            if (m == null || m.deleted) {
                throw new SlackError("message_not_found");
            }
            Content c = content(args, m);
            m.edit(c.text, c.blocks, "chat.update", now());
            m.editedTs = nextTs();
            ObjectNode r = ok();
            r.put("channel", ch.id);
            r.put("ts", ts);
            r.put("text", m.text);
            r.set("message", messageJson(m));
            return r;
        }
    }

    private ObjectNode postEphemeral(JsonNode args) {
        synchronized (lock) {
            String userId = text(args, "user");
            User u = userId == null ? null : users.get(userId);
            if (u == null) {
                throw new SlackError("user_not_found");
            }
            Channel ch = resolveForPosting(text(args, "channel"));
            boolean member = ch.im != null ? ch.im.equals(userId) : ch.members.contains(userId);
            if (!member) {
                throw new SlackError("user_not_in_channel");
            }
            Content c = content(args, null);
            String ts = nextTs();
            ephemerals.add(new EphemeralMessage(ch.id, userId, ts, text(args, "thread_ts"), c.text,
                    c.blocks == null ? null : c.blocks.deepCopy(), "chat.postEphemeral"));
            ObjectNode r = ok();
            r.put("message_ts", ts);
            return r;
        }
    }

    private ObjectNode viewsOpen(JsonNode args) {
        synchronized (lock) {
            String triggerId = text(args, "trigger_id");
            if (triggerId == null) {
                triggerId = text(args, "interactivity_pointer");
            }
            if (triggerId == null) {
                throw SlackError.withMessages("invalid_arguments",
                        List.of("missing required field: trigger_id"), false);
            }
            Trigger trigger = triggers.get(triggerId);
            if (!TRIGGER_FORMAT.matcher(triggerId).matches() || trigger == null) {
                throw new SlackError("invalid_trigger_id");
            }
            if (trigger.used) {
                throw new SlackError("exchanged_trigger_id");
            }
            if (nowMillis() - trigger.issuedAtMillis > TRIGGER_LIFETIME.toMillis()) {
                throw new SlackError("expired_trigger_id");
            }
            JsonNode view = modal(args);
            String externalId = view.path("external_id").asText("");
            if (!externalId.isEmpty() && views.values().stream().anyMatch(v -> externalId.equals(v.externalId))) {
                throw new SlackError("duplicate_external_id");
            }
            trigger.used = true;
            String id = "V" + randomString(10, UPPER_ALNUM);
            View v = new View(id, externalId.isEmpty() ? null : externalId, trigger.userId);
            v.replace(view);
            views.put(id, v);
            ObjectNode r = ok();
            r.set("view", v.json.deepCopy());
            return r;
        }
    }

    private ObjectNode viewsUpdate(JsonNode args) {
        synchronized (lock) {
            String viewId = text(args, "view_id");
            String externalId = text(args, "external_id");
            View v = null;
            if (viewId != null) {
                v = views.get(viewId);
            } else if (externalId != null) {
                v = views.values().stream().filter(x -> externalId.equals(x.externalId)).findFirst().orElse(null);
            } else {
                throw SlackError.withMessages("invalid_arguments",
                        List.of("must provide either view_id or external_id"), false);
            }
            if (v == null) {
                throw new SlackError("not_found");
            }
            String hash = text(args, "hash");
            if (hash != null && !hash.equals(v.hash)) {
                throw new SlackError("hash_conflict");
            }
            v.replace(modal(args));
            ObjectNode r = ok();
            r.set("view", v.json.deepCopy());
            return r;
        }
    }

    private JsonNode modal(JsonNode args) {
        JsonNode view;
        try {
            view = WireParams.json(args, "view");
        } catch (JsonProcessingException e) {
            view = null;
        }
        if (view == null || !view.isObject()) {
            throw SlackError.withMessages("invalid_arguments",
                    List.of("must provide an object [json-pointer:/view]"), false);
        }
        List<String> problems = SlackBlockKit.validateModal(view, "/view");
        if (!problems.isEmpty()) {
            throw SlackError.withMessages("invalid_arguments", problems, false);
        }
        return view;
    }

    private ObjectNode authTest() {
        ObjectNode r = ok();
        r.put("url", "https://" + TEAM_DOMAIN + ".slack.com/");
        r.put("team", "Fake Workspace");
        r.put("user", "mpp-broker");
        r.put("team_id", TEAM_ID);
        r.put("user_id", BOT_USER_ID);
        r.put("bot_id", BOT_ID);
        r.put("is_enterprise_install", false);
        return r;
    }

    private ObjectNode usersInfo(JsonNode args) {
        synchronized (lock) {
            String id = text(args, "user");
            User u = id == null ? null : users.get(id);
            if (u == null) {
                throw new SlackError("user_not_found");
            }
            ObjectNode r = ok();
            r.set("user", u.json());
            return r;
        }
    }

    private ObjectNode usersLookupByEmail(JsonNode args) {
        synchronized (lock) {
            String email = text(args, "email");
            User u = users.values().stream().filter(x -> x.email != null && x.email.equalsIgnoreCase(email))
                    .findFirst().orElse(null);
            if (u == null) {
                throw new SlackError("users_not_found");
            }
            ObjectNode r = ok();
            r.set("user", u.json());
            return r;
        }
    }

    private ObjectNode conversationsOpen(JsonNode args) {
        synchronized (lock) {
            String userIds = text(args, "users");
            if (userIds == null || userIds.contains(",")) {
                // group DMs are not modelled
                throw new SlackError(userIds == null ? "users_list_not_supplied" : "not_supported");
            }
            User u = users.get(userIds.trim());
            if (u == null) {
                throw new SlackError("user_not_found");
            }
            Channel dm = dm(u);
            ObjectNode r = ok();
            r.putObject("channel").put("id", dm.id);
            return r;
        }
    }

    // ---- response_url ----

    private Reply responseUrl(HttpExchange exchange, String id, byte[] body) {
        synchronized (lock) {
            JsonNode json = null;
            try {
                json = WireParams.JSON.readTree(body);
            } catch (IOException e) {
                // recorded as null below
            }
            ResponseUrl url = responseUrls.get(id);
            String error = null;
            int status = 200;
            if (!"POST".equals(exchange.getRequestMethod())) {
                status = 405;
                error = "method_not_allowed";
            } else if (url == null) {
                status = 404;
                error = "no_service";
            } else if (nowMillis() - url.issuedAtMillis > RESPONSE_URL_LIFETIME.toMillis()) {
                status = 404;
                error = "expired_url";
            } else if (url.uses >= RESPONSE_URL_USES) {
                status = 404;
                error = "used_url";
            } else if (json == null || !json.isObject()) {
                status = 400;
                error = "invalid_payload";
            } else {
                url.uses++;
                try {
                    applyResponse(url, json);
                } catch (SlackError e) {
                    status = 400;
                    error = e.code;
                }
            }
            responsePosts.add(new ResponseUrlPost(id, json, status, error));
            return new Reply(status, error == null ? ok() : new SlackError(error).body(), Map.of());
        }
    }

    private void applyResponse(ResponseUrl url, JsonNode json) {
        Message original = url.channel == null || url.messageTs == null ? null
                : messages.get(key(url.channel, url.messageTs));
        if (json.path("delete_original").asBoolean(false)) {
            if (original == null || original.deleted) {
                throw new SlackError("message_not_found");
            }
            original.deleted = true;
            return;
        }
        if (json.path("replace_original").asBoolean(false)) {
            if (original == null || original.deleted) {
                throw new SlackError("message_not_found");
            }
            Content c = content(json, original);
            original.edit(c.text, c.blocks, "response_url", now());
            return;
        }
        Content c = content(json, null);
        if (url.channel == null) {
            throw new SlackError("channel_not_found");
        }
        String ts = nextTs();
        if ("in_channel".equals(json.path("response_type").asText())) {
            Message m = new Message(url.channel, ts, text(json, "thread_ts"), c.text, c.blocks, null, "response_url",
                    now());
            messages.put(key(url.channel, ts), m);
        } else {
            ephemerals.add(new EphemeralMessage(url.channel, url.userId, ts, text(json, "thread_ts"), c.text,
                    c.blocks == null ? null : c.blocks.deepCopy(), "response_url"));
        }
    }

    // ---- message content ----

    private record Content(String text, ArrayNode blocks, JsonNode metadata) {
    }

    /** Text, blocks and metadata of a post or edit; {@code previous} set for edits, whose missing blocks stay. */
    private Content content(JsonNode args, Message previous) {
        String text = text(args, "text");
        if (text == null) {
            text = text(args, "markdown_text");
        }
        ArrayNode blocks = null;
        boolean blocksGiven = args.has("blocks") && !args.get("blocks").isNull();
        if (blocksGiven) {
            JsonNode parsed;
            try {
                parsed = WireParams.json(args, "blocks");
            } catch (JsonProcessingException e) {
                parsed = null;
            }
            if (parsed == null || !parsed.isArray()) {
                throw new SlackError("invalid_blocks_format");
            }
            List<String> problems = SlackBlockKit.validateBlocks(parsed, SlackBlockKit.Surface.MESSAGE, "/blocks");
            if (!problems.isEmpty()) {
                throw SlackError.withMessages("invalid_blocks", problems, true);
            }
            blocks = SlackBlockKit.withBlockIds(parsed);
        } else if (previous != null) {
            blocks = previous.blocks;
        }
        JsonNode attachments;
        JsonNode metadata;
        try {
            attachments = WireParams.json(args, "attachments");
            metadata = WireParams.json(args, "metadata");
        } catch (JsonProcessingException e) {
            throw new SlackError("invalid_arguments");
        }
        if (attachments != null && attachments.isArray() && attachments.size() > 100) {
            throw new SlackError("too_many_attachments");
        }
        boolean hasText = text != null && !text.isEmpty();
        boolean hasBlocks = blocks != null && !blocks.isEmpty();
        boolean hasAttachments = attachments != null && attachments.isArray() && !attachments.isEmpty();
        if (!hasText && !hasBlocks && !hasAttachments) {
            throw new SlackError("no_text");
        }
        if (text != null && text.length() > MAX_TEXT) {
            throw new SlackError("msg_too_long");
        }
        return new Content(text == null ? "" : text, blocks, metadata);
    }

    private ObjectNode messageJson(Message m) {
        ObjectNode j = NODES.objectNode();
        j.put("user", BOT_USER_ID);
        j.put("type", "message");
        j.put("ts", m.ts);
        j.put("bot_id", BOT_ID);
        j.put("app_id", APP_ID);
        j.put("text", m.text);
        j.put("team", TEAM_ID);
        ObjectNode profile = j.putObject("bot_profile");
        profile.put("id", BOT_ID);
        profile.put("app_id", APP_ID);
        profile.put("name", "mpp-broker");
        profile.put("deleted", false);
        profile.put("team_id", TEAM_ID);
        if (m.blocks != null) {
            j.set("blocks", m.blocks.deepCopy());
        }
        if (m.threadTs != null) {
            j.put("thread_ts", m.threadTs);
        }
        if (m.editedTs != null) {
            j.putObject("edited").put("user", BOT_USER_ID).put("ts", m.editedTs);
        }
        return j;
    }

    // ---- channels and users ----

    /** Resolves a chat.postMessage channel: an id, a name with or without '#', or a user id (their DM). */
    private Channel resolveForPosting(String channel) {
        if (channel == null || channel.isEmpty()) {
            throw new SlackError("channel_not_found");
        }
        Channel ch = channels.get(channel);
        if (ch == null) {
            String name = channel.startsWith("#") ? channel.substring(1) : channel;
            ch = channels.values().stream().filter(c -> name.equals(c.name)).findFirst().orElse(null);
        }
        if (ch == null && users.containsKey(channel)) {
            User u = users.get(channel);
            if (u.deleted) {
                throw new SlackError("channel_not_found");
            }
            ch = dm(u);
        }
        if (ch == null) {
            throw new SlackError("channel_not_found");
        }
        if (ch.im != null && users.get(ch.im).deleted) {
            throw new SlackError("is_archived");
        }
        if (ch.im == null && !ch.botMember) {
            throw new SlackError("not_in_channel");
        }
        return ch;
    }

    private Channel dm(User u) {
        return channels.computeIfAbsent(dmChannelId(u.id), id -> new Channel(id, null, u.id));
    }

    /** A channel id from an id, a name or a user id (their DM); the input itself when none matches. */
    private String channelIdOrSelf(String channel) {
        if (channels.containsKey(channel)) {
            return channel;
        }
        String name = channel.startsWith("#") ? channel.substring(1) : channel;
        for (Channel c : channels.values()) {
            if (name.equals(c.name)) {
                return c.id;
            }
        }
        if (users.containsKey(channel)) {
            return dmChannelId(channel);
        }
        return channel;
    }

    private Channel channel(String id) {
        Channel c = channels.get(id);
        if (c == null) {
            throw new IllegalArgumentException("no channel " + id);
        }
        return c;
    }

    private User user(String id) {
        User u = users.get(id);
        if (u == null) {
            throw new IllegalArgumentException("no user " + id + "; add it with addUser");
        }
        return u;
    }

    // ---- helpers ----

    private static ObjectNode ok() {
        ObjectNode r = NODES.objectNode();
        r.put("ok", true);
        return r;
    }

    private long nowMillis() {
        return System.currentTimeMillis() + clockOffsetMillis.get();
    }

    private Instant now() {
        return Instant.ofEpochMilli(nowMillis());
    }

    /** Slack message timestamps: epoch seconds and a 6-digit fraction, unique and increasing. */
    private String nextTs() {
        long micros = lastTsMicros.updateAndGet(last -> Math.max(last + 1, nowMillis() * 1000));
        return String.format(Locale.ROOT, "%d.%06d", micros / 1_000_000, micros % 1_000_000);
    }

    private static String key(String channel, String ts) {
        return channel + "/" + ts;
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    private static String digits(int n) {
        return randomString(n, "0123456789");
    }

    private static String randomString(int n, String alphabet) {
        StringBuilder sb = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            sb.append(alphabet.charAt(RANDOM.nextInt(alphabet.length())));
        }
        return sb.toString();
    }

    // ---- state ----

    private static final class User {
        final String id;
        final String name;
        final String realName;
        final String email;
        boolean deleted;

        User(String id, String name, String realName, String email) {
            this.id = id;
            this.name = name;
            this.realName = realName;
            this.email = email;
        }

        SlackUser snapshot() {
            return new SlackUser(id, name, realName, email, deleted);
        }

        ObjectNode json() {
            ObjectNode u = NODES.objectNode();
            u.put("id", id);
            u.put("team_id", TEAM_ID);
            u.put("name", name);
            u.put("deleted", deleted);
            u.put("real_name", realName);
            u.put("tz", "Europe/Zurich");
            u.put("tz_label", "Central European Time");
            u.put("tz_offset", 3600);
            ObjectNode p = u.putObject("profile");
            p.put("real_name", realName);
            p.put("display_name", name);
            p.put("real_name_normalized", realName);
            p.put("display_name_normalized", name);
            if (email != null) {
                p.put("email", email);
            }
            p.put("team", TEAM_ID);
            u.put("is_admin", false);
            u.put("is_owner", false);
            u.put("is_primary_owner", false);
            u.put("is_restricted", false);
            u.put("is_ultra_restricted", false);
            u.put("is_bot", false);
            u.put("is_app_user", false);
            u.put("updated", 1_700_000_000L);
            return u;
        }
    }

    private static final class Channel {
        final String id;
        final String name;
        /** The user of a DM channel, null for channels. */
        final String im;
        final Set<String> members = new LinkedHashSet<>();
        boolean botMember = true;

        Channel(String id, String name, String im) {
            this.id = id;
            this.name = name;
            this.im = im;
        }
    }

    private static final class Message {
        final String channel;
        final String ts;
        final String threadTs;
        final JsonNode metadata;
        final List<MessageVersion> history = new ArrayList<>();
        String text;
        ArrayNode blocks;
        boolean deleted;
        String editedTs;

        Message(String channel, String ts, String threadTs, String text, ArrayNode blocks, JsonNode metadata,
                String via, Instant at) {
            this.channel = channel;
            this.ts = ts;
            this.threadTs = threadTs;
            this.metadata = metadata;
            edit(text, blocks, via, at);
        }

        void edit(String newText, ArrayNode newBlocks, String via, Instant at) {
            text = newText;
            blocks = newBlocks;
            history.add(new MessageVersion(newText, newBlocks == null ? null : newBlocks.deepCopy(), via, at));
        }

        PostedMessage snapshot() {
            return new PostedMessage(channel, ts, threadTs, text, blocks == null ? null : blocks.deepCopy(),
                    metadata == null ? null : metadata.deepCopy(), deleted, List.copyOf(history));
        }
    }

    private final class View {
        final String id;
        final String externalId;
        final String userId;
        final List<JsonNode> history = new ArrayList<>();
        ObjectNode json;
        String hash;

        View(String id, String externalId, String userId) {
            this.id = id;
            this.externalId = externalId;
            this.userId = userId;
        }

        /** Takes a new view definition and answers it Slack's way: ids, state, hash and defaults filled in. */
        void replace(JsonNode definition) {
            ObjectNode j = NODES.objectNode();
            j.put("id", id);
            j.put("team_id", TEAM_ID);
            j.put("type", definition.path("type").asText());
            j.set("title", definition.get("title").deepCopy());
            if (definition.has("close")) {
                j.set("close", definition.get("close").deepCopy());
            }
            if (definition.has("submit")) {
                j.set("submit", definition.get("submit").deepCopy());
            }
            j.set("blocks", SlackBlockKit.withBlockIds(definition.get("blocks")));
            j.put("private_metadata", definition.path("private_metadata").asText(""));
            j.put("callback_id", definition.path("callback_id").asText(""));
            j.put("external_id", externalId == null ? "" : externalId);
            j.putObject("state").putObject("values");
            hash = (nowMillis() / 1000) + "." + HexFormat.of().formatHex(randomBytes(4));
            j.put("hash", hash);
            j.put("clear_on_close", definition.path("clear_on_close").asBoolean(false));
            j.put("notify_on_close", definition.path("notify_on_close").asBoolean(false));
            j.put("submit_disabled", definition.path("submit_disabled").asBoolean(false));
            j.put("root_view_id", id);
            j.putNull("previous_view_id");
            j.put("app_id", APP_ID);
            j.put("app_installed_team_id", TEAM_ID);
            j.put("bot_id", BOT_ID);
            json = j;
            history.add(j.deepCopy());
        }

        OpenedView snapshot() {
            return new OpenedView(id, externalId, userId, json.path("callback_id").asText(),
                    json.path("private_metadata").asText(), hash, json.deepCopy(), List.copyOf(history));
        }
    }

    private static final class Trigger {
        final String userId;
        final long issuedAtMillis;
        boolean used;

        Trigger(String userId, long issuedAtMillis) {
            this.userId = userId;
            this.issuedAtMillis = issuedAtMillis;
        }
    }

    private static final class ResponseUrl {
        final String id;
        final String channel;
        final String messageTs;
        final String userId;
        final long issuedAtMillis;
        int uses;

        ResponseUrl(String id, String channel, String messageTs, String userId, long issuedAtMillis) {
            this.id = id;
            this.channel = channel;
            this.messageTs = messageTs;
            this.userId = userId;
            this.issuedAtMillis = issuedAtMillis;
        }
    }
}
