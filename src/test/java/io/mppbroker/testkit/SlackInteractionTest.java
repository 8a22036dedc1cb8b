package io.mppbroker.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.slack.api.Slack;
import com.slack.api.SlackConfig;
import com.slack.api.app_backend.SlackSignature;
import com.slack.api.app_backend.interactive_components.payload.BlockActionPayload;
import com.slack.api.app_backend.util.JsonPayloadExtractor;
import com.slack.api.app_backend.views.payload.ViewSubmissionPayload;
import com.slack.api.methods.MethodsClient;
import com.slack.api.methods.response.views.ViewsOpenResponse;
import com.slack.api.util.json.GsonFactory;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static com.slack.api.model.block.Blocks.actions;
import static com.slack.api.model.block.Blocks.asBlocks;
import static com.slack.api.model.block.Blocks.input;
import static com.slack.api.model.block.composition.BlockCompositions.asOptions;
import static com.slack.api.model.block.composition.BlockCompositions.option;
import static com.slack.api.model.block.composition.BlockCompositions.plainText;
import static com.slack.api.model.block.element.BlockElements.asElements;
import static com.slack.api.model.block.element.BlockElements.button;
import static com.slack.api.model.block.element.BlockElements.plainTextInput;
import static com.slack.api.model.block.element.BlockElements.staticSelect;
import static com.slack.api.model.view.Views.view;
import static com.slack.api.model.view.Views.viewSubmit;
import static com.slack.api.model.view.Views.viewTitle;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SlackInteractionTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5";
    static final String CHANNEL = "C0APPROVALS";

    FakeSlack fake;
    Slack slack;
    MethodsClient methods;
    /** The verifier the broker will use (slack-app-backend). */
    SlackSignature.Verifier verifier = new SlackSignature.Verifier(new SlackSignature.Generator(SIGNING_SECRET));

    @BeforeEach
    void start() {
        fake = FakeSlack.start();
        fake.addUser("U0ALICE", "alice");
        fake.addUser("U0ZOE", "zoë");
        fake.addChannel(CHANNEL, "payment-approvals", "U0ALICE", "U0ZOE");
        SlackConfig config = new SlackConfig();
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

    String postApproval() throws Exception {
        return methods.chatPostMessage(r -> r.channel(CHANNEL).text("Approve 2.50 USD?").blocks(asBlocks(
                actions(a -> a.blockId("decision").elements(asElements(
                        button(b -> b.actionId("approve").value("dec_42").style("primary").text(plainText("Approve"))),
                        button(b -> b.actionId("deny").value("dec_42").style("danger").text(plainText("Deny"))))))))).getTs();
    }

    static boolean verifies(SlackSignature.Verifier v, SlackInteraction.SignedRequest r) {
        return v.isValid(r.timestamp(), r.body(), r.signature());
    }

    @Test
    void signatureMatchesSlackSdkGenerator() {
        SlackSignature.Generator generator = new SlackSignature.Generator(SIGNING_SECRET);
        // The example from Slack's "verifying requests" page, signed by both implementations
        String body = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
                + "&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
                + "&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
                + "&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
        assertEquals("v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
                SlackInteraction.signature(SIGNING_SECRET, "1531420618", body));
        assertEquals(generator.generate("1531420618", body), SlackInteraction.signature(SIGNING_SECRET, "1531420618", body));
        // A user name with "ë": percent-encoding keeps the body ASCII, so the SDK's Generator (which hashes with the
        // platform charset, ASCII under JDK 17 in a C locale) still agrees
        String body2 = new SlackInteraction.BlockActionsBuilder().user("U0ZOE", "zoë").button("approve", "dec_42")
                .build().body();
        assertTrue(body2.chars().allMatch(c -> c < 128), body2);
        assertEquals(generator.generate("1700000000", body2), SlackInteraction.signature(SIGNING_SECRET, "1700000000", body2));
    }

    @Test
    void signedRequestsVerifyAndForgedTamperedOrStaleOnesDoNot() throws Exception {
        SlackInteraction click = fake.clickButton("U0ALICE", CHANNEL, postApproval(), "approve");

        assertTrue(verifies(verifier, click.signed(SIGNING_SECRET)));
        assertFalse(verifies(verifier, click.forged()));
        assertFalse(verifies(verifier, click.tampered(SIGNING_SECRET)));
        SlackInteraction.SignedRequest stale = click.stale(SIGNING_SECRET);
        assertFalse(verifies(verifier, stale));
        assertTrue(verifier.isValid(stale.timestamp(), stale.body(), stale.signature(),
                Instant.now().minus(SlackInteraction.STALE_AGE).toEpochMilli()),
                "the stale request is correctly signed, only too old");
        assertFalse(verifies(new SlackSignature.Verifier(new SlackSignature.Generator("another-secret")),
                click.signed(SIGNING_SECRET)));
    }

    @Test
    void clickButtonSendsWhatSlackSendsOverTheWire() throws Exception {
        String ts = postApproval();
        SlackInteraction click = fake.clickButton("U0ZOE", CHANNEL, ts, "deny");

        Map<String, String> received = new ConcurrentHashMap<>();
        HttpServer app = LocalHttpServer.loopback(0, 0);
        app.createContext("/slack/interactions", ex -> {
            received.put("contentType", ex.getRequestHeaders().getFirst("Content-Type"));
            received.put("timestamp", ex.getRequestHeaders().getFirst("X-Slack-Request-Timestamp"));
            received.put("signature", ex.getRequestHeaders().getFirst("X-Slack-Signature"));
            received.put("body", new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        app.start();
        try {
            HttpResponse<String> r = click.signed(SIGNING_SECRET).post(
                    URI.create("http://127.0.0.1:" + app.getAddress().getPort() + "/slack/interactions"));
            assertEquals(200, r.statusCode());
        } finally {
            app.stop(0);
        }

        assertEquals("application/x-www-form-urlencoded", received.get("contentType"));
        assertTrue(received.get("body").startsWith("payload="));
        assertTrue(verifier.isValid(received.get("timestamp"), received.get("body"), received.get("signature")));

        // slack-app-backend reads the payload into its own model, as a Slack app would
        String payloadJson = new JsonPayloadExtractor().extractIfExists(received.get("body"));
        BlockActionPayload payload = GsonFactory.createSnakeCase().fromJson(payloadJson, BlockActionPayload.class);
        assertEquals("block_actions", payload.getType());
        assertEquals("U0ZOE", payload.getUser().getId());
        assertEquals("zoë", payload.getUser().getUsername());
        assertEquals(FakeSlack.TEAM_ID, payload.getTeam().getId());
        assertEquals(CHANNEL, payload.getChannel().getId());
        assertEquals(ts, payload.getContainer().getMessageTs());
        assertEquals(ts, payload.getMessage().getTs());
        BlockActionPayload.Action action = payload.getActions().get(0);
        assertEquals("deny", action.getActionId());
        assertEquals("dec_42", action.getValue(), "the value is the one the button was posted with");
        assertEquals("decision", action.getBlockId());
        assertEquals("danger", action.getStyle());
        assertEquals("Deny", action.getText().getText());
        assertEquals(click.triggerId(), payload.getTriggerId());
        assertEquals(click.responseUrl(), payload.getResponseUrl());
    }

    @Test
    void viewSubmissionCarriesThePrivateMetadataAndEnteredValues() throws Exception {
        SlackInteraction click = fake.clickButton("U0ALICE", CHANNEL, postApproval(), "deny");
        ViewsOpenResponse opened = methods.viewsOpen(r -> r.triggerId(click.triggerId()).view(view(v -> v.type("modal")
                .callbackId("deny_reason").privateMetadata("dec_42")
                .title(viewTitle(t -> t.type("plain_text").text("Deny payment")))
                .submit(viewSubmit(s -> s.type("plain_text").text("Deny")))
                .blocks(asBlocks(
                        input(i -> i.blockId("reason").label(plainText("Why?"))
                                .element(plainTextInput(p -> p.actionId("reason_text")))),
                        input(i -> i.blockId("scope").label(plainText("Block"))
                                .element(staticSelect(s -> s.actionId("scope_choice").options(asOptions(
                                        option(plainText("This payment"), "once"),
                                        option(plainText("This seller"), "seller")))))),
                        input(i -> i.blockId("note").optional(true).label(plainText("Note"))
                                .element(plainTextInput(p -> p.actionId("note_text")))))))));
        assertTrue(opened.isOk(), opened.getError() + " " + opened.getResponseMetadata());

        SlackInteraction submission = fake.viewSubmission(opened.getView().getId())
                .input("reason", "reason_text", "Too expensive")
                .input("scope", "scope_choice", "seller")
                .build();
        assertThrows(IllegalArgumentException.class,
                () -> fake.viewSubmission(opened.getView().getId()).input("reason", "nope", "x"));
        assertThrows(IllegalArgumentException.class,
                () -> fake.viewSubmission(opened.getView().getId()).input("scope", "scope_choice", "forever"));

        SlackInteraction.SignedRequest request = submission.signed(SIGNING_SECRET);
        assertTrue(verifies(verifier, request));
        ViewSubmissionPayload payload = GsonFactory.createSnakeCase().fromJson(
                new JsonPayloadExtractor().extractIfExists(request.body()), ViewSubmissionPayload.class);
        assertEquals("view_submission", payload.getType());
        assertEquals("U0ALICE", payload.getUser().getId());
        assertEquals("dec_42", payload.getView().getPrivateMetadata());
        assertEquals("deny_reason", payload.getView().getCallbackId());
        var values = payload.getView().getState().getValues();
        assertEquals("Too expensive", values.get("reason").get("reason_text").getValue());
        assertEquals("seller", values.get("scope").get("scope_choice").getSelectedOption().getValue());
        assertTrue(values.containsKey("note"), "untouched inputs are sent too");
        assertEquals(null, values.get("note").get("note_text").getValue());

        // the submission's trigger can open a follow-up modal
        var done = view(v -> v.type("modal").title(viewTitle(t -> t.type("plain_text").text("Done")))
                .blocks(asBlocks(actions(a -> a.elements(asElements(button(b -> b.actionId("ok").text(plainText("OK")))))))));
        assertTrue(methods.viewsOpen(r -> r.triggerId(submission.triggerId()).view(done)).isOk());
    }

    @Test
    void freeFormBuildersMakeArbitraryPayloads() throws Exception {
        SlackInteraction forgedValue = SlackInteraction.blockActions().user("U0MALLORY", "mallory")
                .channel(CHANNEL, "payment-approvals").messageTs("1700000000.000100")
                .button("approve", "dec_someone_else").build();
        JsonNode p = forgedValue.payload();
        assertEquals("block_actions", p.get("type").asText());
        assertEquals("dec_someone_else", p.get("actions").get(0).get("value").asText());
        assertTrue(forgedValue.triggerId().matches("[0-9]+\\.[0-9]+\\.[0-9a-f]+"));
        assertNotEquals(null, JSON.readTree(new JsonPayloadExtractor().extractIfExists(forgedValue.body())));
        // a trigger id the fake did not issue does not open modals
        assertEquals("invalid_trigger_id", methods.viewsOpen(r -> r.triggerId(forgedValue.triggerId())
                .view(view(v -> v.type("modal").title(viewTitle(t -> t.type("plain_text").text("x")))
                        .blocks(asBlocks())))).getError());

        SlackInteraction submission = SlackInteraction.viewSubmission().user("U0ALICE", "alice")
                .callbackId("deny_reason").privateMetadata("dec_1").input("reason", "reason_text", "no").build();
        assertEquals("no", submission.payload().at("/view/state/values/reason/reason_text/value").asText());
        assertEquals("dec_1", submission.payload().at("/view/private_metadata").asText());
    }
}
