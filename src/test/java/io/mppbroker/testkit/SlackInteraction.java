package io.mppbroker.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.mppbroker.testkit.WireParams.NODES;

/**
 * What Slack POSTs to an app's interactivity request URL, in Slack's wire form
 * (https://api.slack.com/interactivity/handling#payloads): an {@code application/x-www-form-urlencoded} body
 * {@code payload=<url-encoded JSON>}, signed per https://api.slack.com/authentication/verifying-requests-from-slack
 * with {@code X-Slack-Request-Timestamp} and {@code X-Slack-Signature: v0=hex(HMAC-SHA256(secret,
 * "v0:" + timestamp + ":" + body))}.
 * <p>
 * Build one with {@link FakeSlack#clickButton} / {@link FakeSlack#viewSubmission} (trigger ids and response_urls
 * the fake honours) or freely with {@link #blockActions()} / {@link #viewSubmission()}. Then {@link #signed},
 * {@link #forged}, {@link #tampered} or {@link #stale} give the request, which {@link SignedRequest#post} sends.
 */
public final class SlackInteraction {

    /** The deprecated verification token Slack still puts into payloads; apps must not rely on it. */
    public static final String VERIFICATION_TOKEN = "fakeVerificationToken0000";
    /** How far back {@link #stale} dates its timestamp: beyond Slack's 5-minute replay window. */
    public static final Duration STALE_AGE = Duration.ofMinutes(6);

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final ObjectNode payload;

    private SlackInteraction(ObjectNode payload) {
        this.payload = payload;
    }

    public static BlockActionsBuilder blockActions() {
        return new BlockActionsBuilder();
    }

    public static ViewSubmissionBuilder viewSubmission() {
        return new ViewSubmissionBuilder();
    }

    /** {@code block_actions} or {@code view_submission}. */
    public String type() {
        return payload.path("type").asText();
    }

    public ObjectNode payload() {
        return payload.deepCopy();
    }

    public String triggerId() {
        return payload.path("trigger_id").asText(null);
    }

    public String responseUrl() {
        return payload.path("response_url").asText(null);
    }

    /** The raw request body: {@code payload=} and the URL-encoded JSON. */
    public String body() {
        return "payload=" + URLEncoder.encode(payload.toString(), StandardCharsets.UTF_8);
    }

    /** Signed now with the app's signing secret: what Slack sends. */
    public SignedRequest signed(String signingSecret) {
        return signedAt(signingSecret, Instant.now());
    }

    public SignedRequest signedAt(String signingSecret, Instant at) {
        String timestamp = Long.toString(at.getEpochSecond());
        String body = body();
        return new SignedRequest(body, timestamp, signature(signingSecret, timestamp, body));
    }

    /** Current timestamp, but signed with a secret other than the app's. */
    public SignedRequest forged() {
        return signed(HexFormat.of().formatHex(randomBytes(16)));
    }

    /** Signed correctly, then the body changed (another user id): the signature no longer covers it. */
    public SignedRequest tampered(String signingSecret) {
        SignedRequest genuine = signed(signingSecret);
        ObjectNode changed = payload.deepCopy();
        ((ObjectNode) changed.path("user")).put("id", "U0ATTACKER");
        String body = "payload=" + URLEncoder.encode(changed.toString(), StandardCharsets.UTF_8);
        return new SignedRequest(body, genuine.timestamp(), genuine.signature());
    }

    /** Correctly signed, but with a timestamp {@link #STALE_AGE} old: a replay outside Slack's window. */
    public SignedRequest stale(String signingSecret) {
        return signedAt(signingSecret, Instant.now().minus(STALE_AGE));
    }

    /** {@code v0=} + hex HMAC-SHA256 over {@code v0:<timestamp>:<body>}, bytes in UTF-8. */
    public static String signature(String signingSecret, String timestamp, String body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(signingSecret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            byte[] digest = mac.doFinal(("v0:" + timestamp + ":" + body).getBytes(StandardCharsets.UTF_8));
            return "v0=" + HexFormat.of().formatHex(digest);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return "SlackInteraction" + payload;
    }

    /** One signed interaction request as it goes over the wire. */
    public record SignedRequest(String body, String timestamp, String signature) {
        public static final String CONTENT_TYPE = "application/x-www-form-urlencoded";
        public static final String TIMESTAMP_HEADER = "X-Slack-Request-Timestamp";
        public static final String SIGNATURE_HEADER = "X-Slack-Signature";

        public Map<String, String> headers() {
            Map<String, String> h = new LinkedHashMap<>();
            h.put("Content-Type", CONTENT_TYPE);
            h.put(TIMESTAMP_HEADER, timestamp);
            h.put(SIGNATURE_HEADER, signature);
            h.put("User-Agent", "Slackbot 1.0 (+https://api.slack.com/robots)");
            return h;
        }

        /** POSTs this request to the app's interactivity endpoint. */
        public HttpResponse<String> post(URI endpoint) {
            HttpRequest.Builder b = HttpRequest.newBuilder(endpoint).timeout(Duration.ofSeconds(30))
                    .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
            headers().forEach(b::header);
            try {
                return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                throw new IllegalStateException("POST " + endpoint + " failed", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    // ---- builders ----

    private abstract static class Common<B extends Common<B>> {
        String teamId = FakeSlack.TEAM_ID;
        String teamDomain = FakeSlack.TEAM_DOMAIN;
        String userId;
        String userName;
        String apiAppId = FakeSlack.APP_ID;
        String triggerId;

        @SuppressWarnings("unchecked")
        B self() {
            return (B) this;
        }

        public B team(String id, String domain) {
            teamId = id;
            teamDomain = domain;
            return self();
        }

        public B user(String id, String name) {
            userId = id;
            userName = name;
            return self();
        }

        public B apiAppId(String appId) {
            apiAppId = appId;
            return self();
        }

        /** Any trigger id; FakeSlack honours only those it issued ({@link FakeSlack#issueTriggerId}). */
        public B triggerId(String id) {
            triggerId = id;
            return self();
        }

        ObjectNode start(String type) {
            if (userId == null) {
                throw new IllegalStateException("user(id, name) is required");
            }
            ObjectNode p = NODES.objectNode();
            p.put("type", type);
            ObjectNode user = p.putObject("user");
            user.put("id", userId);
            user.put("username", userName);
            user.put("name", userName);
            user.put("team_id", teamId);
            p.put("api_app_id", apiAppId);
            p.put("token", VERIFICATION_TOKEN);
            p.put("trigger_id", triggerId != null ? triggerId : randomTriggerId());
            ObjectNode team = p.putObject("team");
            team.put("id", teamId);
            team.put("domain", teamDomain);
            p.putNull("enterprise");
            p.put("is_enterprise_install", false);
            return p;
        }
    }

    /** A {@code block_actions} payload: a user clicked an interactive element in a message. */
    public static final class BlockActionsBuilder extends Common<BlockActionsBuilder> {
        private String channelId;
        private String channelName;
        private String messageTs;
        private JsonNode message;
        private String responseUrl;
        private boolean ephemeral;
        private final List<ObjectNode> actions = new ArrayList<>();

        public BlockActionsBuilder channel(String id, String name) {
            channelId = id;
            channelName = name;
            return this;
        }

        /** The message the element is in, as Slack holds it (sets the message ts too). */
        public BlockActionsBuilder message(JsonNode messageJson) {
            message = messageJson.deepCopy();
            messageTs = messageJson.path("ts").asText(null);
            return this;
        }

        public BlockActionsBuilder messageTs(String ts) {
            messageTs = ts;
            return this;
        }

        public BlockActionsBuilder ephemeral(boolean isEphemeral) {
            ephemeral = isEphemeral;
            return this;
        }

        public BlockActionsBuilder responseUrl(String url) {
            responseUrl = url;
            return this;
        }

        /** A click on a button with this action id and value (block id and label made up). */
        public BlockActionsBuilder button(String actionId, String value) {
            ObjectNode element = NODES.objectNode();
            element.put("type", "button");
            element.put("action_id", actionId);
            element.putObject("text").put("type", "plain_text").put("text", actionId).put("emoji", true);
            if (value != null) {
                element.put("value", value);
            }
            return action(HexFormat.of().formatHex(randomBytes(3)), element);
        }

        /** An action on this element of block {@code blockId}, carrying what Slack copies from the element. */
        public BlockActionsBuilder action(String blockId, JsonNode element) {
            ObjectNode a = NODES.objectNode();
            a.put("action_id", element.path("action_id").asText());
            a.put("block_id", blockId);
            for (String field : List.of("text", "value", "style", "url")) {
                if (element.has(field)) {
                    a.set(field, element.get(field).deepCopy());
                }
            }
            a.put("type", element.path("type").asText());
            a.put("action_ts", actionTs());
            actions.add(a);
            return this;
        }

        /** An action object exactly as given (selects, overflow menus...). */
        public BlockActionsBuilder rawAction(ObjectNode action) {
            actions.add(action.deepCopy());
            return this;
        }

        public SlackInteraction build() {
            if (actions.isEmpty()) {
                throw new IllegalStateException("at least one action is required");
            }
            ObjectNode p = start("block_actions");
            ObjectNode container = NODES.objectNode();
            container.put("type", "message");
            if (messageTs != null) {
                container.put("message_ts", messageTs);
            }
            if (channelId != null) {
                container.put("channel_id", channelId);
            }
            container.put("is_ephemeral", ephemeral);
            p.set("container", container);
            if (channelId != null) {
                p.putObject("channel").put("id", channelId).put("name", channelName);
            }
            if (message != null && !ephemeral) {
                p.set("message", message);
            }
            p.putObject("state").putObject("values");
            if (responseUrl != null) {
                p.put("response_url", responseUrl);
            }
            ArrayNode a = p.putArray("actions");
            actions.forEach(a::add);
            return new SlackInteraction(p);
        }
    }

    /** A {@code view_submission} payload: a user submitted a modal. */
    public static final class ViewSubmissionBuilder extends Common<ViewSubmissionBuilder> {
        private ObjectNode view;
        private String callbackId = "";
        private String privateMetadata = "";
        private final ObjectNode values = NODES.objectNode();

        /** The modal as Slack holds it (FakeSlack passes the opened view); its input blocks shape the state. */
        public ViewSubmissionBuilder view(ObjectNode viewJson) {
            view = viewJson.deepCopy();
            return this;
        }

        /** For a view built from scratch (no {@link #view}). */
        public ViewSubmissionBuilder callbackId(String id) {
            callbackId = id;
            return this;
        }

        /** For a view built from scratch (no {@link #view}). */
        public ViewSubmissionBuilder privateMetadata(String metadata) {
            privateMetadata = metadata;
            return this;
        }

        /**
         * What the user entered in input {@code blockId}/{@code actionId}: a text for text inputs, the option
         * value(s) for selects, radio buttons and checkboxes. With a {@link #view}, the input must exist in it.
         */
        public ViewSubmissionBuilder input(String blockId, String actionId, String... entered) {
            JsonNode element = view == null ? null : findInput(blockId, actionId);
            if (view != null && element == null) {
                throw new IllegalArgumentException("the view has no input " + blockId + "/" + actionId);
            }
            String type = element == null ? "plain_text_input" : element.path("type").asText();
            ObjectNode value = NODES.objectNode();
            value.put("type", type);
            switch (type) {
                case "static_select", "radio_buttons", "external_select" ->
                        value.set("selected_option", option(element, blockId, actionId, entered[0]));
                case "multi_static_select", "checkboxes" -> {
                    ArrayNode selected = value.putArray("selected_options");
                    for (String v : entered) {
                        selected.add(option(element, blockId, actionId, v));
                    }
                }
                case "datepicker" -> value.put("selected_date", entered[0]);
                case "timepicker" -> value.put("selected_time", entered[0]);
                case "users_select" -> value.put("selected_user", entered[0]);
                case "conversations_select" -> value.put("selected_conversation", entered[0]);
                case "channels_select" -> value.put("selected_channel", entered[0]);
                default -> value.put("value", entered.length == 0 ? null : entered[0]);
            }
            state(blockId, actionId, value);
            return this;
        }

        /** A state value exactly as given. */
        public ViewSubmissionBuilder state(String blockId, String actionId, ObjectNode value) {
            ObjectNode block = values.has(blockId) ? (ObjectNode) values.get(blockId) : values.putObject(blockId);
            block.set(actionId, value.deepCopy());
            return this;
        }

        public SlackInteraction build() {
            ObjectNode v = view != null ? view.deepCopy() : minimalView();
            ObjectNode stateValues = NODES.objectNode();
            // Slack sends every input of the view, empty ones included
            for (JsonNode block : v.path("blocks")) {
                if ("input".equals(block.path("type").asText())) {
                    JsonNode e = block.path("element");
                    stateValues.putObject(block.path("block_id").asText())
                            .set(e.path("action_id").asText(), emptyValue(e.path("type").asText()));
                }
            }
            values.fields().forEachRemaining(b -> {
                ObjectNode target = stateValues.has(b.getKey())
                        ? (ObjectNode) stateValues.get(b.getKey()) : stateValues.putObject(b.getKey());
                b.getValue().fields().forEachRemaining(a -> target.set(a.getKey(), a.getValue().deepCopy()));
            });
            v.putObject("state").set("values", stateValues);
            ObjectNode p = start("view_submission");
            p.set("view", v);
            p.putArray("response_urls");
            return new SlackInteraction(p);
        }

        private JsonNode findInput(String blockId, String actionId) {
            for (JsonNode block : view.path("blocks")) {
                if ("input".equals(block.path("type").asText()) && blockId.equals(block.path("block_id").asText())
                        && actionId.equals(block.path("element").path("action_id").asText())) {
                    return block.get("element");
                }
            }
            return null;
        }

        private static JsonNode option(JsonNode element, String blockId, String actionId, String value) {
            if (element != null) {
                for (JsonNode o : element.path("options")) {
                    if (value.equals(o.path("value").asText())) {
                        return o.deepCopy();
                    }
                }
                throw new IllegalArgumentException(blockId + "/" + actionId + " has no option with value " + value);
            }
            ObjectNode o = NODES.objectNode();
            o.putObject("text").put("type", "plain_text").put("text", value).put("emoji", true);
            o.put("value", value);
            return o;
        }

        private static ObjectNode emptyValue(String type) {
            ObjectNode v = NODES.objectNode();
            v.put("type", type);
            switch (type) {
                case "static_select", "radio_buttons", "external_select" -> v.putNull("selected_option");
                case "multi_static_select", "checkboxes" -> v.putArray("selected_options");
                case "datepicker" -> v.putNull("selected_date");
                case "timepicker" -> v.putNull("selected_time");
                case "users_select" -> v.putNull("selected_user");
                case "conversations_select" -> v.putNull("selected_conversation");
                case "channels_select" -> v.putNull("selected_channel");
                default -> v.putNull("value");
            }
            return v;
        }

        private ObjectNode minimalView() {
            ObjectNode v = NODES.objectNode();
            String id = "V" + HexFormat.of().formatHex(randomBytes(5)).toUpperCase();
            v.put("id", id);
            v.put("team_id", teamId);
            v.put("type", "modal");
            v.putObject("title").put("type", "plain_text").put("text", "Modal");
            v.putArray("blocks");
            v.put("private_metadata", privateMetadata);
            v.put("callback_id", callbackId);
            v.put("hash", Instant.now().getEpochSecond() + "." + HexFormat.of().formatHex(randomBytes(4)));
            v.put("root_view_id", id);
            v.put("app_id", apiAppId);
            return v;
        }
    }

    private static String randomTriggerId() {
        return Instant.now().getEpochSecond() + "." + (1_000_000_000L + RANDOM.nextInt(1_000_000_000)) + "."
                + HexFormat.of().formatHex(randomBytes(16));
    }

    private static String actionTs() {
        long micros = Instant.now().toEpochMilli() * 1000 + RANDOM.nextInt(1000);
        return String.format(java.util.Locale.ROOT, "%d.%06d", micros / 1_000_000, micros % 1_000_000);
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }
}
