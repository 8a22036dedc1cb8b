package io.mppbroker.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.slack.api.Slack;
import com.slack.api.SlackConfig;
import com.slack.api.methods.MethodsClient;
import com.slack.api.methods.SlackApiException;
import com.slack.api.methods.response.chat.ChatPostEphemeralResponse;
import com.slack.api.methods.response.chat.ChatPostMessageResponse;
import com.slack.api.methods.response.chat.ChatUpdateResponse;
import com.slack.api.methods.response.users.UsersInfoResponse;
import com.slack.api.methods.response.users.UsersLookupByEmailResponse;
import com.slack.api.methods.response.views.ViewsOpenResponse;
import com.slack.api.methods.response.views.ViewsUpdateResponse;
import com.slack.api.model.block.ActionsBlock;
import com.slack.api.model.block.LayoutBlock;
import com.slack.api.model.block.element.ButtonElement;
import com.slack.api.model.view.View;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import static com.slack.api.model.block.Blocks.actions;
import static com.slack.api.model.block.Blocks.asBlocks;
import static com.slack.api.model.block.Blocks.input;
import static com.slack.api.model.block.Blocks.section;
import static com.slack.api.model.block.composition.BlockCompositions.markdownText;
import static com.slack.api.model.block.composition.BlockCompositions.plainText;
import static com.slack.api.model.block.element.BlockElements.asElements;
import static com.slack.api.model.block.element.BlockElements.button;
import static com.slack.api.model.block.element.BlockElements.plainTextInput;
import static com.slack.api.model.view.Views.view;
import static com.slack.api.model.view.Views.viewSubmit;
import static com.slack.api.model.view.Views.viewTitle;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FakeSlackTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String CHANNEL = "C0APPROVALS";

    FakeSlack fake;
    Slack slack;
    MethodsClient methods;
    HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() {
        fake = FakeSlack.start();
        fake.addUser("U0ALICE", "alice", "Alice Approver", "alice@example.com");
        fake.addUser("U0BOB", "bob");
        fake.addChannel(CHANNEL, "payment-approvals", "U0ALICE");
        slack = Slack.getInstance(sdkConfig(false));
        methods = slack.methods(fake.botToken());
    }

    @AfterEach
    void stop() throws Exception {
        slack.close();
        fake.close();
    }

    SlackConfig sdkConfig(boolean statsEnabled) {
        SlackConfig config = new SlackConfig();
        config.setMethodsEndpointUrlPrefix(fake.baseUrl());
        config.setStatsEnabled(statsEnabled);
        return config;
    }

    static List<LayoutBlock> approvalBlocks(String decisionId) {
        return asBlocks(
                section(s -> s.text(markdownText("*mpp-broker* wants to pay *2.50 USD* to `api.example.com`"))),
                actions(a -> a.blockId("decision").elements(asElements(
                        button(b -> b.actionId("approve").value(decisionId).style("primary").text(plainText("Approve"))),
                        button(b -> b.actionId("deny").value(decisionId).style("danger").text(plainText("Deny")))))));
    }

    HttpResponse<String> raw(String method, String contentType, String body, String authorization)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(fake.baseUrl() + method))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    JsonNode postJson(String method, String json) throws Exception {
        HttpResponse<String> r = raw(method, "application/json; charset=utf-8", json, "Bearer " + fake.botToken());
        assertEquals(200, r.statusCode());
        return JSON.readTree(r.body());
    }

    // ---- the Slack SDK against the fake ----

    @Test
    void slackSdkPostsABlockKitMessageAndUpdatesIt() throws Exception {
        ChatPostMessageResponse posted = methods.chatPostMessage(r -> r.channel(CHANNEL)
                .text("Approve 2.50 USD to api.example.com?").blocks(approvalBlocks("dec_42")));

        assertTrue(posted.isOk(), posted.getError());
        assertEquals(CHANNEL, posted.getChannel());
        assertTrue(posted.getTs().matches("[0-9]{10}\\.[0-9]{6}"), posted.getTs());
        // the SDK parses the echoed message back into its Block Kit model
        ActionsBlock actionsBlock = (ActionsBlock) posted.getMessage().getBlocks().get(1);
        assertEquals("approve", ((ButtonElement) actionsBlock.getElements().get(0)).getActionId());

        FakeSlack.PostedMessage stored = fake.message(CHANNEL, posted.getTs()).orElseThrow();
        assertEquals("Approve 2.50 USD to api.example.com?", stored.text());
        JsonNode button = stored.blocks().get(1).get("elements").get(0);
        assertEquals("dec_42", button.get("value").asText());
        assertEquals("primary", button.get("style").asText());
        assertTrue(stored.blocks().get(0).hasNonNull("block_id"), "Slack gives blocks without one a block_id");
        assertEquals("application/x-www-form-urlencoded", fake.calls("chat.postMessage").get(0).contentType(),
                "the SDK sends form bodies");

        ChatUpdateResponse updated = methods.chatUpdate(r -> r.channel(CHANNEL).ts(posted.getTs())
                .text("Approved by alice").blocks(asBlocks(section(s -> s.text(markdownText("Approved by <@U0ALICE>"))))));

        assertTrue(updated.isOk(), updated.getError());
        assertEquals(posted.getTs(), updated.getTs());
        FakeSlack.PostedMessage after = fake.message(CHANNEL, posted.getTs()).orElseThrow();
        assertEquals("Approved by alice", after.text());
        assertEquals(1, after.blocks().size());
        assertEquals(2, after.history().size());
        assertEquals("chat.postMessage", after.history().get(0).via());
        assertEquals("chat.update", after.history().get(1).via());
        assertEquals(2, after.history().get(0).blocks().size(), "the original version is kept");
        assertEquals(1, fake.messages().size());
    }

    @Test
    void updateWithoutBlocksKeepsThePreviousBlocks() throws Exception {
        ChatPostMessageResponse posted = methods.chatPostMessage(r -> r.channel(CHANNEL).text("t")
                .blocks(approvalBlocks("dec_1")));
        methods.chatUpdate(r -> r.channel(CHANNEL).ts(posted.getTs()).text("new fallback"));
        FakeSlack.PostedMessage m = fake.message(CHANNEL, posted.getTs()).orElseThrow();
        assertEquals("new fallback", m.text());
        assertEquals(2, m.blocks().size());
    }

    @Test
    void slackSdkSeesSlackErrors() throws Exception {
        ChatPostMessageResponse unknownChannel = methods.chatPostMessage(r -> r.channel("C0NOPE").text("x"));
        assertFalse(unknownChannel.isOk());
        assertEquals("channel_not_found", unknownChannel.getError());

        ChatPostMessageResponse badToken = slack.methods("xoxb-" + "not-the-bot").chatPostMessage(r -> r.channel(CHANNEL).text("x"));
        assertEquals("invalid_auth", badToken.getError());

        fake.removeBotFromChannel(CHANNEL);
        assertEquals("not_in_channel", methods.chatPostMessage(r -> r.channel(CHANNEL).text("x")).getError());

        assertEquals("message_not_found", methods.chatUpdate(r -> r.channel(CHANNEL).ts("1.000001").text("x")).getError());
        assertEquals("channel_not_found", methods.chatUpdate(r -> r.channel("U0ALICE").ts("1.000001").text("x")).getError(),
                "chat.update wants the DM's D... id, not the user id");
        assertEquals("no_text", methods.chatPostMessage(r -> r.channel("U0ALICE")).getError());
        assertTrue(fake.messages().isEmpty());
    }

    @Test
    void postingToAUserIdLandsInTheirDmAndChannelNamesResolve() throws Exception {
        ChatPostMessageResponse dm = methods.chatPostMessage(r -> r.channel("U0ALICE").text("hi"));
        assertTrue(dm.isOk());
        assertEquals(fake.dmChannelId("U0ALICE"), dm.getChannel());
        assertTrue(fake.message("U0ALICE", dm.getTs()).isPresent());

        ChatPostMessageResponse byName = methods.chatPostMessage(r -> r.channel("#payment-approvals").text("hi"));
        assertEquals(CHANNEL, byName.getChannel());

        fake.deactivateUser("U0BOB");
        assertEquals("channel_not_found", methods.chatPostMessage(r -> r.channel("U0BOB").text("hi")).getError());
    }

    @Test
    void ephemeralMessagesNeedAChannelMember() throws Exception {
        ChatPostEphemeralResponse ok = methods.chatPostEphemeral(r -> r.channel(CHANNEL).user("U0ALICE").text("only you"));
        assertTrue(ok.isOk(), ok.getError());
        assertNotEquals(null, ok.getMessageTs());
        assertEquals("user_not_in_channel",
                methods.chatPostEphemeral(r -> r.channel(CHANNEL).user("U0BOB").text("x")).getError());
        assertEquals(1, fake.ephemeralMessages().size());
        assertEquals("U0ALICE", fake.ephemeralMessages().get(0).user());
        assertTrue(fake.messages().isEmpty());
    }

    @Test
    void usersAreFoundByIdAndEmail() throws Exception {
        UsersInfoResponse info = methods.usersInfo(r -> r.user("U0ALICE"));
        assertTrue(info.isOk());
        assertEquals("alice", info.getUser().getName());
        assertEquals("alice@example.com", info.getUser().getProfile().getEmail());
        assertFalse(info.getUser().isDeleted());

        UsersLookupByEmailResponse byEmail = methods.usersLookupByEmail(r -> r.email("ALICE@example.com"));
        assertEquals("U0ALICE", byEmail.getUser().getId());
        assertEquals("users_not_found", methods.usersLookupByEmail(r -> r.email("eve@example.com")).getError());
        assertEquals("user_not_found", methods.usersInfo(r -> r.user("U0EVE")).getError());

        fake.deactivateUser("U0ALICE");
        assertTrue(methods.usersInfo(r -> r.user("U0ALICE")).getUser().isDeleted());
        assertEquals(FakeSlack.BOT_USER_ID, methods.authTest(r -> r).getUserId());
    }

    /** With its default statsEnabled=true, the SDK first calls auth.test per token to learn the team id. */
    @Test
    void sdkDefaultConfigCallsAuthTestBeforeTheFirstMethod() throws Exception {
        try (Slack withStats = Slack.getInstance(sdkConfig(true))) {
            assertTrue(withStats.methods(fake.botToken()).chatPostMessage(r -> r.channel(CHANNEL).text("x")).isOk());
        }
        List<String> order = fake.calls().stream().map(FakeSlack.Call::method).toList();
        assertEquals(List.of("auth.test", "chat.postMessage"), order);
    }

    // ---- wire details over raw HTTP ----

    @Test
    void acceptsJsonAndFormBodiesAndRequiresTheBotToken() throws Exception {
        String bearer = "Bearer " + fake.botToken();
        JsonNode json = postJson("chat.postMessage", "{\"channel\":\"" + CHANNEL + "\",\"text\":\"json\","
                + "\"blocks\":[{\"type\":\"divider\"}]}");
        assertTrue(json.get("ok").asBoolean(), json.toString());
        assertFalse(json.has("warning"));

        HttpResponse<String> noCharset = raw("chat.postMessage", "application/json",
                "{\"channel\":\"" + CHANNEL + "\",\"text\":\"x\"}", bearer);
        JsonNode nc = JSON.readTree(noCharset.body());
        assertTrue(nc.get("ok").asBoolean());
        assertEquals("missing_charset", nc.get("warning").asText());

        String form = "channel=" + CHANNEL + "&text=" + URLEncoder.encode("form & more", StandardCharsets.UTF_8)
                + "&blocks=" + URLEncoder.encode("[{\"type\":\"divider\"}]", StandardCharsets.UTF_8);
        JsonNode f = JSON.readTree(raw("chat.postMessage", "application/x-www-form-urlencoded", form, bearer).body());
        assertTrue(f.get("ok").asBoolean(), f.toString());
        assertEquals("form & more", f.get("message").get("text").asText());

        JsonNode tokenInForm = JSON.readTree(raw("chat.postMessage", "application/x-www-form-urlencoded",
                form + "&token=" + fake.botToken(), null).body());
        assertTrue(tokenInForm.get("ok").asBoolean(), "Slack still takes the token as a POST parameter");

        HttpResponse<String> none = raw("chat.postMessage", "application/json; charset=utf-8", "{}", null);
        assertEquals(200, none.statusCode());
        assertEquals("not_authed", JSON.readTree(none.body()).get("error").asText());
        assertEquals("invalid_auth", JSON.readTree(raw("chat.postMessage", "application/json; charset=utf-8", "{}",
                "Bearer xoxb-1-2-wrong").body()).get("error").asText());
        assertEquals("invalid_post_type", JSON.readTree(raw("chat.postMessage", "text/xml", "<x/>", bearer).body())
                .get("error").asText());

        HttpResponse<String> unknown = raw("chat.nope", "application/json; charset=utf-8", "{}", bearer);
        assertEquals(404, unknown.statusCode());
        assertEquals("unknown_method", JSON.readTree(unknown.body()).get("error").asText());

        assertEquals(4, fake.messages().size());
        fake.calls().forEach(c -> assertFalse(c.args().has("token"), "tokens are not recorded"));
    }

    @Test
    void blockKitLimitsAreEnforced() throws Exception {
        String ok3000 = "a".repeat(3000);
        assertTrue(postBlocks("[{\"type\":\"section\",\"text\":{\"type\":\"mrkdwn\",\"text\":\"" + ok3000 + "\"}}]")
                .get("ok").asBoolean());
        JsonNode tooLong = postBlocks("[{\"type\":\"section\",\"text\":{\"type\":\"mrkdwn\",\"text\":\"" + ok3000 + "b\"}}]");
        assertEquals("invalid_blocks", tooLong.get("error").asText());
        assertEquals("must be less than 3001 characters [json-pointer:/blocks/0/text/text]",
                tooLong.get("errors").get(0).asText());
        assertTrue(tooLong.get("response_metadata").get("messages").get(0).asText().startsWith("[ERROR] "));

        assertEquals("invalid_blocks", postBlocks("[{\"text\":{\"type\":\"mrkdwn\",\"text\":\"x\"}}]").get("error").asText());
        assertEquals("invalid_blocks", postBlocks("[{\"type\":\"sectionz\"}]").get("error").asText());
        assertEquals("invalid_blocks_format", postBlocks("{\"type\":\"divider\"}").get("error").asText());
        assertEquals("invalid_blocks_format", postBlocksForm("not json").get("error").asText());

        assertTrue(postBlocks(dividers(50)).get("ok").asBoolean());
        JsonNode fiftyOne = postBlocks(dividers(51));
        assertEquals("invalid_blocks", fiftyOne.get("error").asText());
        assertEquals("no more than 50 items allowed [json-pointer:/blocks]", fiftyOne.get("errors").get(0).asText());

        assertTrue(postBlocks(buttonBlock("a".repeat(255), "v")).get("ok").asBoolean());
        assertEquals("must be less than 256 characters [json-pointer:/blocks/0/elements/0/action_id]",
                postBlocks(buttonBlock("a".repeat(256), "v")).get("errors").get(0).asText());
        assertTrue(postBlocks(buttonBlock("approve", "v".repeat(2000))).get("ok").asBoolean());
        assertEquals("must be less than 2001 characters [json-pointer:/blocks/0/elements/0/value]",
                postBlocks(buttonBlock("approve", "v".repeat(2001))).get("errors").get(0).asText());

        assertEquals(4, fake.messages().size(), "only the valid posts became messages");
    }

    JsonNode postBlocks(String blocksJson) throws Exception {
        return postJson("chat.postMessage", "{\"channel\":\"" + CHANNEL + "\",\"text\":\"t\",\"blocks\":" + blocksJson + "}");
    }

    JsonNode postBlocksForm(String blocks) throws Exception {
        String form = "channel=" + CHANNEL + "&text=t&blocks=" + URLEncoder.encode(blocks, StandardCharsets.UTF_8);
        return JSON.readTree(raw("chat.postMessage", "application/x-www-form-urlencoded", form,
                "Bearer " + fake.botToken()).body());
    }

    static String dividers(int n) {
        ArrayNode a = JSON.createArrayNode();
        for (int i = 0; i < n; i++) {
            a.addObject().put("type", "divider");
        }
        return a.toString();
    }

    static String buttonBlock(String actionId, String value) {
        ArrayNode blocks = JSON.createArrayNode();
        ObjectNode button = blocks.addObject().put("type", "actions").putArray("elements").addObject();
        button.put("type", "button").put("action_id", actionId).put("value", value);
        button.putObject("text").put("type", "plain_text").put("text", "Go");
        return blocks.toString();
    }

    // ---- modals ----

    View denyModal(String privateMetadata) {
        return view(v -> v.type("modal").callbackId("deny_reason").privateMetadata(privateMetadata)
                .title(viewTitle(t -> t.type("plain_text").text("Deny payment")))
                .submit(viewSubmit(s -> s.type("plain_text").text("Deny")))
                .blocks(asBlocks(input(i -> i.blockId("reason").label(plainText("Why?"))
                        .element(plainTextInput(p -> p.actionId("reason_text").multiline(true)))))));
    }

    @Test
    void viewsOpenTakesAFreshTriggerOnceAndRejectsStaleOnes() throws Exception {
        ChatPostMessageResponse posted = methods.chatPostMessage(r -> r.channel(CHANNEL).text("t")
                .blocks(approvalBlocks("dec_7")));
        SlackInteraction click = fake.clickButton("U0ALICE", CHANNEL, posted.getTs(), "deny");

        ViewsOpenResponse opened = methods.viewsOpen(r -> r.triggerId(click.triggerId()).view(denyModal("dec_7")));
        assertTrue(opened.isOk(), opened.getError() + " " + opened.getResponseMetadata());
        assertTrue(opened.getView().getId().startsWith("V"));
        assertEquals("dec_7", opened.getView().getPrivateMetadata());
        FakeSlack.OpenedView stored = fake.views().get(0);
        assertEquals("U0ALICE", stored.userId(), "the modal opens for the user who clicked");
        assertEquals("deny_reason", stored.callbackId());

        assertEquals("exchanged_trigger_id",
                methods.viewsOpen(r -> r.triggerId(click.triggerId()).view(denyModal("dec_7"))).getError());

        String late = fake.issueTriggerId("U0ALICE");
        fake.advanceTime(FakeSlack.TRIGGER_LIFETIME.plusMillis(1));
        assertEquals("expired_trigger_id", methods.viewsOpen(r -> r.triggerId(late).view(denyModal("x"))).getError());
        assertEquals("invalid_trigger_id",
                methods.viewsOpen(r -> r.triggerId("12345.98765.abcd2358fdea").view(denyModal("x"))).getError());

        String fresh = fake.issueTriggerId("U0ALICE");
        ViewsOpenResponse badTitle = methods.viewsOpen(r -> r.triggerId(fresh).view(view(v -> v.type("modal")
                .title(viewTitle(t -> t.type("plain_text").text("A title longer than 24 chars")))
                .blocks(asBlocks(section(s -> s.text(plainText("x"))))))));
        assertEquals("invalid_arguments", badTitle.getError());
        assertTrue(badTitle.getResponseMetadata().getMessages().get(0).contains("/view/title/text"),
                badTitle.getResponseMetadata().getMessages().toString());
        assertTrue(methods.viewsOpen(r -> r.triggerId(fresh).view(denyModal("y"))).isOk(),
                "an invalid view does not use up the trigger");
        assertEquals(2, fake.views().size());
    }

    @Test
    void viewsUpdateReplacesAModalAndChecksTheHash() throws Exception {
        ViewsOpenResponse opened = methods.viewsOpen(r -> r.triggerId(fake.issueTriggerId("U0ALICE"))
                .view(denyModal("dec_9")));
        String id = opened.getView().getId();
        String hash = opened.getView().getHash();

        ViewsUpdateResponse updated = methods.viewsUpdate(r -> r.viewId(id).hash(hash).view(denyModal("dec_9b")));
        assertTrue(updated.isOk(), updated.getError());
        assertNotEquals(hash, updated.getView().getHash());
        assertEquals("dec_9b", fake.view(id).orElseThrow().privateMetadata());
        assertEquals(2, fake.view(id).orElseThrow().history().size());

        assertEquals("hash_conflict", methods.viewsUpdate(r -> r.viewId(id).hash(hash).view(denyModal("z"))).getError());
        assertEquals("not_found", methods.viewsUpdate(r -> r.viewId("V0NOPE").view(denyModal("z"))).getError());
    }

    // ---- response_url ----

    @Test
    void responseUrlReplacesTheOriginalAndWorksFiveTimes() throws Exception {
        ChatPostMessageResponse posted = methods.chatPostMessage(r -> r.channel(CHANNEL).text("t")
                .blocks(approvalBlocks("dec_5")));
        SlackInteraction click = fake.clickButton("U0ALICE", CHANNEL, posted.getTs(), "approve");
        URI responseUrl = URI.create(click.responseUrl());
        assertTrue(click.responseUrl().startsWith("http://127.0.0.1:" + fake.port() + "/response/"));

        HttpResponse<String> replaced = postJsonTo(responseUrl,
                "{\"replace_original\":true,\"text\":\"Approved by alice\",\"blocks\":[{\"type\":\"section\","
                        + "\"text\":{\"type\":\"mrkdwn\",\"text\":\"Approved\"}}]}");
        assertEquals(200, replaced.statusCode(), replaced.body());
        FakeSlack.PostedMessage m = fake.message(CHANNEL, posted.getTs()).orElseThrow();
        assertEquals("Approved by alice", m.text());
        assertEquals("response_url", m.history().get(1).via());

        assertEquals(200, postJsonTo(responseUrl, "{\"text\":\"just for you\"}").statusCode());
        assertEquals("U0ALICE", fake.ephemeralMessages().get(0).user());
        assertEquals(200, postJsonTo(responseUrl, "{\"response_type\":\"in_channel\",\"text\":\"for all\"}").statusCode());
        assertEquals(2, fake.messages(CHANNEL).size());
        assertEquals(400, postJsonTo(responseUrl, "{\"replace_original\":true,\"text\":\"x\",\"blocks\":[{}]}").statusCode());
        assertEquals(200, postJsonTo(responseUrl, "{\"delete_original\":true}").statusCode());
        assertTrue(fake.message(CHANNEL, posted.getTs()).orElseThrow().deleted());

        HttpResponse<String> sixth = postJsonTo(responseUrl, "{\"text\":\"again\"}");
        assertEquals(404, sixth.statusCode());
        assertEquals("used_url", JSON.readTree(sixth.body()).get("error").asText());
        assertEquals(6, fake.responseUrlPosts().size());

        SlackInteraction later = fake.clickButton("U0ALICE", CHANNEL,
                methods.chatPostMessage(r -> r.channel(CHANNEL).text("t").blocks(approvalBlocks("d"))).getTs(), "deny");
        fake.advanceTime(FakeSlack.RESPONSE_URL_LIFETIME.plusSeconds(1));
        assertEquals("expired_url", JSON.readTree(postJsonTo(URI.create(later.responseUrl()), "{\"text\":\"x\"}").body())
                .get("error").asText());
    }

    HttpResponse<String> postJsonTo(URI uri, String json) throws Exception {
        return http.send(HttpRequest.newBuilder(uri).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    }

    // ---- failures ----

    @Test
    void failNextAnswersRateLimitsAndServerErrorsBeforeAnyEffect() throws Exception {
        fake.failNext(2, 429, 7);
        for (int i = 0; i < 2; i++) {
            SlackApiException e = assertThrows(SlackApiException.class,
                    () -> methods.chatPostMessage(r -> r.channel(CHANNEL).text("x")));
            assertEquals(429, e.getResponse().code());
            assertEquals("7", e.getResponse().header("Retry-After"));
            assertEquals("ratelimited", e.getError().getError());
        }
        assertTrue(fake.messages().isEmpty());

        fake.failNext(1, 503);
        SlackApiException unavailable = assertThrows(SlackApiException.class,
                () -> methods.chatPostMessage(r -> r.channel(CHANNEL).text("x")));
        assertEquals(503, unavailable.getResponse().code());
        assertTrue(fake.messages().isEmpty());

        assertTrue(methods.chatPostMessage(r -> r.channel(CHANNEL).text("x")).isOk());
        assertEquals(1, fake.messages().size());
        List<FakeSlack.Call> calls = fake.calls("chat.postMessage");
        assertEquals(4, calls.size());
        assertTrue(calls.get(0).injectedFailure());
        assertEquals(CHANNEL, calls.get(0).args().get("channel").asText(), "failed calls still record their args");
        assertFalse(calls.get(3).injectedFailure());
    }

    @Test
    void downRefusesConnectionsUntilBackOnTheSamePort() throws Exception {
        String base = fake.baseUrl();
        assertTrue(methods.chatPostMessage(r -> r.channel(CHANNEL).text("before")).isOk());
        fake.down(true);
        IOException e = assertThrows(IOException.class, () -> methods.chatPostMessage(r -> r.channel(CHANNEL).text("x")));
        assertInstanceOf(ConnectException.class, e, e.toString());
        fake.down(false);
        assertEquals(base, fake.baseUrl());
        assertTrue(methods.chatPostMessage(r -> r.channel(CHANNEL).text("after")).isOk());
        assertEquals(List.of("before", "after"), fake.messages().stream().map(FakeSlack.PostedMessage::text).toList());
    }

    @Test
    void clickButtonNeedsAButtonThatWasPosted() throws Exception {
        ChatPostMessageResponse posted = methods.chatPostMessage(r -> r.channel(CHANNEL).text("t")
                .blocks(approvalBlocks("dec_3")));
        assertThrows(IllegalArgumentException.class,
                () -> fake.clickButton("U0ALICE", CHANNEL, posted.getTs(), "maybe"));
        assertThrows(IllegalArgumentException.class,
                () -> fake.clickButton("U0ALICE", CHANNEL, "1.000000", "approve"));
        assertNull(fake.calls("views.open").stream().findFirst().orElse(null));
    }

    @Test
    void closedFakeRefusesConnections() {
        String base = fake.baseUrl();
        fake.close();
        assertThrows(IOException.class, () -> http.send(HttpRequest.newBuilder(URI.create(base + "auth.test"))
                .timeout(Duration.ofSeconds(2)).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString()));
    }
}
