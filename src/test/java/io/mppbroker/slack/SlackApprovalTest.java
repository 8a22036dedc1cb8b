package io.mppbroker.slack;

import static io.mppbroker.slack.FakeSlackResource.CHANNEL;
import static io.mppbroker.slack.FakeSlackResource.FIN1;
import static io.mppbroker.slack.FakeSlackResource.FIN2;
import static io.mppbroker.slack.FakeSlackResource.OPS_LEAD;
import static io.mppbroker.slack.FakeSlackResource.SIGNING_SECRET;
import static io.mppbroker.slack.FakeSlackResource.STRANGER;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mppbroker.payment.FakeStripeResource;
import io.mppbroker.testkit.FakeSlack;
import io.mppbroker.testkit.MppTestSeller;
import io.mppbroker.testkit.SlackInteraction;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Approvals on Slack through the broker's HTTP surface and a fake Slack workspace: the card, signed clicks,
 * the revision form, refusals, races between answers, and Slack outages.
 */
@QuarkusTest
@QuarkusTestResource(value = FakeStripeResource.class, restrictToAnnotatedClass = true)
@QuarkusTestResource(value = FakeSlackResource.class, restrictToAnnotatedClass = true)
class SlackApprovalTest {

    static final String AGENT = "Bearer slack-agent-token";
    static final String FIN1_TOKEN = "Bearer slack-fin1-token";
    static final String FIN2_TOKEN = "Bearer slack-fin2-token";
    static final ObjectMapper JSON = new ObjectMapper();

    static MppTestSeller seller;

    @TestHTTPResource("/slack/interactivity")
    URI interactivity;

    @BeforeAll
    static void start() {
        RestAssured.enableLoggingOfRequestAndResponseIfValidationFails();
        seller = MppTestSeller.builder(FakeStripeResource.stripe().baseUrl()).stripeSecretKey("sk_test_slack_seller").start();
        seller.price("GET", "/ask", "5000", "usd");    // 50.00: one approver decides
        seller.price("GET", "/need", "80000", "usd");  // 800.00: over the 100.00 task budget
    }

    @AfterAll
    static void stop() {
        seller.close();
    }

    static FakeSlack slack() {
        return FakeSlackResource.slack();
    }

    // ---- the card ----

    @Test
    void theCardGoesToTheRoutedChannelWithTheContextAndThreeButtons() throws Exception {
        // "localhost": a host no other test pays in this project, so the first-payment flag is certain
        Map<String, Object> body = fetch(seller.baseUrl().replace("127.0.0.1", "localhost") + "/ask", "market sizing, EU");
        Response r = post(AGENT, body, null);
        r.then().statusCode(202);
        String approvalId = r.path("approval.id");
        String task = (String) body.get("task");

        FakeSlack.PostedMessage card = awaitCard(CHANNEL, approvalId);
        String text = texts(card.blocks());
        for (String expected : List.of("research-agent", "slackpay", task, "localhost", "50.00 USD", "market sizing, EU",
                "task " + task + ": 0.00 of 100.00 used, *50.00* left after this payment", "first payment to localhost")) {
            assertTrue(text.contains(expected), "card lacks \"" + expected + "\": " + text);
        }
        // every risk flag the broker computed is on the card
        List<String> flags = pendingCard(FIN1_TOKEN, approvalId).getList("risk_flags");
        assertFalse(flags.isEmpty());
        flags.forEach(flag -> assertTrue(text.contains(flag), "flag " + flag + " missing: " + text));
        assertTrue(card.text().startsWith("Approval needed: 50.00 USD to localhost"), card.text());

        JsonNode actions = actionsBlock(card.blocks()).orElseThrow(() -> new AssertionError("no buttons: " + card.blocks()));
        List<String> ids = new ArrayList<>();
        for (JsonNode button : actions.path("elements")) {
            ids.add(button.path("action_id").asText());
            assertEquals(approvalId, button.path("value").asText());
        }
        assertEquals(List.of("approve", "deny", "revise"), ids);
        assertEquals("chat.postMessage", card.history().get(0).via());
    }

    @Test
    void aSignedApproveClickDecidesAndTheCardSaysWhoAndWhen() {
        Response r = post(AGENT, fetch(seller.baseUrl() + "/ask", "signed click"), null);
        String paymentId = r.path("id");
        String approvalId = r.path("approval.id");
        FakeSlack.PostedMessage card = awaitCard(CHANNEL, approvalId);

        long started = System.nanoTime();
        HttpResponse<String> ack = slack().clickButton(FIN1, CHANNEL, card.ts(), "approve").signed(SIGNING_SECRET).post(interactivity);
        assertEquals(200, ack.statusCode(), ack.body());
        assertTrue(Duration.ofNanos(System.nanoTime() - started).toMillis() < 3000, "Slack wants an answer within 3 s");

        awaitPayment(paymentId, "paid")
                .then().body("decision.approved_by", equalTo("fin-approver-1"))
                .body("approval.decided_via", equalTo("slack"))
                .body("receipt.reference", startsWith("pi_"));
        FakeSlack.PostedMessage updated = await(() -> slack().message(CHANNEL, card.ts())
                .filter(m -> texts(m.blocks()).contains("*Approved* by fin-approver-1 via slack at 20")), "card updated");
        assertTrue(actionsBlock(updated.blocks()).isEmpty(), "a decided card has no buttons: " + updated.blocks());
        assertEquals("chat.update", updated.history().get(updated.history().size() - 1).via());
        assertTrue(updated.text().startsWith("Approved by fin-approver-1 via slack"), updated.text());
    }

    @Test
    void forgedStaleAndTamperedRequestsAreRefusedAndDecideNothing() throws Exception {
        Response r = post(AGENT, fetch(seller.baseUrl() + "/ask", "forgery"), null);
        String approvalId = r.path("approval.id");
        FakeSlack.PostedMessage card = awaitCard(CHANNEL, approvalId);
        SlackInteraction click = slack().clickButton(FIN1, CHANNEL, card.ts(), "approve");

        for (SlackInteraction.SignedRequest bad : List.of(click.forged(), click.stale(SIGNING_SECRET),
                click.tampered(SIGNING_SECRET), new SlackInteraction.SignedRequest(click.body(), "", ""))) {
            HttpResponse<String> refused = bad.post(interactivity);
            assertEquals(401, refused.statusCode(), refused.body());
            assertTrue(refused.headers().firstValue("Content-Type").orElse("").startsWith("application/problem+json"));
            assertEquals("https://mpp-broker.dev/problems/unauthorized", JSON.readTree(refused.body()).path("type").asText());
        }
        // a timestamp from the future is as bad as one from the past
        HttpResponse<String> future = click.signedAt(SIGNING_SECRET, java.time.Instant.now().plus(Duration.ofMinutes(6)))
                .post(interactivity);
        assertEquals(401, future.statusCode());

        Thread.sleep(1000);
        assertEquals("pending", approval(approvalId).getString("approval.status"));
        assertEquals(1, slack().message(CHANNEL, card.ts()).orElseThrow().history().size(), "card untouched");

        // the same click, signed with the app's secret, is accepted
        assertEquals(200, click.signed(SIGNING_SECRET).post(interactivity).statusCode());
        await(() -> Optional.of(approval(approvalId)).filter(a -> "approved".equals(a.getString("approval.status"))),
                "approved by the genuine click");
    }

    @Test
    void someoneWhoIsNotAnApproverOfTheProjectIsToldSoAndNothingIsDecided() throws Exception {
        Response r = post(AGENT, fetch(seller.baseUrl() + "/ask", "not an approver"), null);
        String approvalId = r.path("approval.id");
        FakeSlack.PostedMessage card = awaitCard(CHANNEL, approvalId);
        int ephemeralsBefore = slack().ephemeralMessages().size();

        for (String user : List.of(STRANGER, OPS_LEAD)) {
            int before = ephemeralsTo(user).size();
            assertEquals(200, slack().clickButton(user, CHANNEL, card.ts(), "approve").signed(SIGNING_SECRET)
                    .post(interactivity).statusCode());
            FakeSlack.EphemeralMessage told = await(() -> ephemeralsTo(user).stream().skip(before).findFirst(),
                    "ephemeral refusal to " + user);
            assertEquals(CHANNEL, told.channel());
            assertTrue(told.text().contains("not an approver of project slackpay"), told.text());
        }
        // Revise is refused the same way: no form opens
        int views = slack().views().size();
        assertEquals(200, slack().clickButton(STRANGER, CHANNEL, card.ts(), "revise").signed(SIGNING_SECRET)
                .post(interactivity).statusCode());
        await(() -> ephemeralsTo(STRANGER).stream().skip(1).findFirst(), "second refusal");
        assertEquals(views, slack().views().size());

        Thread.sleep(500);
        assertEquals("pending", approval(approvalId).getString("approval.status"));
        assertEquals(1, slack().message(CHANNEL, card.ts()).orElseThrow().history().size());
        assertTrue(slack().ephemeralMessages().stream().skip(ephemeralsBefore)
                        .allMatch(e -> e.user().equals(STRANGER) || e.user().equals(OPS_LEAD)), "only the one who clicked is told");
    }

    // ---- one decision, whoever answers ----

    @Test
    void twoApproversClickingAtOnceAndADoubleClickMakeOneDecision() throws Exception {
        Response r = post(AGENT, fetch(seller.baseUrl() + "/ask", "race in slack"), null);
        String task = r.path("task");
        String approvalId = r.path("approval.id");
        FakeSlack.PostedMessage card = awaitCard(CHANNEL, approvalId);
        int ephemeralsBefore = slack().ephemeralMessages().size();

        // fin1 double-clicks Approve while fin2 clicks Approve: all three land at the same moment
        List<SlackInteraction.SignedRequest> clicks = List.of(
                slack().clickButton(FIN1, CHANNEL, card.ts(), "approve").signed(SIGNING_SECRET),
                slack().clickButton(FIN1, CHANNEL, card.ts(), "approve").signed(SIGNING_SECRET),
                slack().clickButton(FIN2, CHANNEL, card.ts(), "approve").signed(SIGNING_SECRET));
        for (HttpResponse<String> ack : all(clicks.stream().<Supplier<HttpResponse<String>>>map(c -> () -> c.post(interactivity)).toList())) {
            assertEquals(200, ack.statusCode());
        }

        JsonPath decided = await(() -> Optional.of(approval(approvalId))
                .filter(a -> "approved".equals(a.getString("approval.status"))), "decided");
        String winner = decided.getString("approval.decided_by");
        List<FakeSlack.EphemeralMessage> told = await(() -> Optional.of(slack().ephemeralMessages().stream()
                .skip(ephemeralsBefore).toList()).filter(l -> l.size() >= 2), "both other clicks told");
        Thread.sleep(500); // nobody else is told anything more
        told = slack().ephemeralMessages().stream().skip(ephemeralsBefore).toList();
        assertEquals(2, told.size(), told.toString());
        for (FakeSlack.EphemeralMessage e : told) {
            assertTrue(e.text().startsWith("Already approved by " + winner + " via slack at 20"), e.text());
        }
        assertEquals(1, auditEvents(task, "approval"), "exactly one decision");
        awaitPayment(r.path("id"), "paid").then().body("decision.approved_by", equalTo(winner));
    }

    @Test
    void aSlackClickAndADashboardAnswerAtOnceMakeOneDecision() throws Exception {
        Response r = post(AGENT, fetch(seller.baseUrl() + "/ask", "race slack vs api"), null);
        String task = r.path("task");
        String approvalId = r.path("approval.id");
        FakeSlack.PostedMessage card = awaitCard(CHANNEL, approvalId);
        int ephemeralsBefore = slack().ephemeralMessages().size();
        SlackInteraction.SignedRequest slackDeny = slack().clickButton(FIN1, CHANNEL, card.ts(), "deny").signed(SIGNING_SECRET);

        List<Object> results = all(List.<Supplier<Object>>of(() -> slackDeny.post(interactivity),
                () -> answer(FIN2_TOKEN, approvalId, Map.of("decision", "approve", "note", "fine"))));
        @SuppressWarnings("unchecked")
        HttpResponse<String> ack = (HttpResponse<String>) results.get(0);
        Response api = (Response) results.get(1);
        assertEquals(200, ack.statusCode());

        JsonPath decided = await(() -> Optional.of(approval(approvalId))
                .filter(a -> !"pending".equals(a.getString("approval.status"))), "decided");
        if (api.statusCode() == 200) {
            // the dashboard won: the Slack click is told who decided
            assertEquals("fin-approver-2", decided.getString("approval.decided_by"));
            FakeSlack.EphemeralMessage e = await(() -> slack().ephemeralMessages().stream().skip(ephemeralsBefore)
                    .findFirst(), "slack click told");
            assertEquals(FIN1, e.user());
            assertTrue(e.text().startsWith("Already approved by fin-approver-2 via api at 20"), e.text());
        } else {
            // Slack won: the API answer is a 409 that names who decided
            assertEquals(409, api.statusCode(), api.asString());
            assertEquals("fin-approver-1", decided.getString("approval.decided_by"));
            assertEquals("denied", decided.getString("approval.status"));
            assertEquals("fin-approver-1", api.path("decided_by"));
            assertEquals("slack", api.path("decided_via"));
        }
        assertEquals(1, auditEvents(task, "approval"), "exactly one decision");
    }

    // ---- Revise ----

    @Test
    void reviseOpensAFormAndTheHeldAgentGetsTheNoteAndTheNewBudget() throws Exception {
        Map<String, Object> body = fetch(seller.baseUrl() + "/need", "full EU dataset");
        String task = (String) body.get("task");
        CompletableFuture<Response> held = CompletableFuture.supplyAsync(() -> post(AGENT, body, "wait=55"));

        String approvalId = await(() -> slack().messages(CHANNEL).stream()
                .filter(m -> texts(m.blocks()).contains("task " + task + ":")).findFirst()
                .flatMap(m -> actionsBlock(m.blocks())).map(a -> a.path("elements").get(0).path("value").asText()), "card");
        FakeSlack.PostedMessage card = awaitCard(CHANNEL, approvalId);
        FakeSlack.PostedMessage dm = awaitCard(slack().dmChannelId(FIN1), approvalId); // the route also DMs fin1
        assertTrue(texts(card.blocks()).contains("*-700.00* left after this payment"), texts(card.blocks()));

        assertEquals(200, slack().clickButton(FIN2, CHANNEL, card.ts(), "revise").signed(SIGNING_SECRET)
                .post(interactivity).statusCode());
        FakeSlack.OpenedView form = await(() -> slack().views().stream()
                .filter(v -> v.privateMetadata().contains(approvalId)).findFirst(), "revision form opened");
        assertEquals(FIN2, form.userId());
        assertEquals("mpp_revise", form.callbackId());

        // a budget that is not an amount goes back into the form, next to the field
        HttpResponse<String> invalid = slack().viewSubmission(form.id())
                .input("task_budget", "value", "lots").build().signed(SIGNING_SECRET).post(interactivity);
        assertEquals(200, invalid.statusCode());
        JsonNode errors = JSON.readTree(invalid.body());
        assertEquals("errors", errors.path("response_action").asText());
        assertTrue(errors.path("errors").path("task_budget").asText().contains("decimal amount"), invalid.body());
        assertEquals("pending", approval(approvalId).getString("approval.status"));

        HttpResponse<String> submitted = slack().viewSubmission(form.id())
                .input("task_budget", "value", "800.00")
                .input("note", "value", "DE and FR only, skip the rest")
                .build().signed(SIGNING_SECRET).post(interactivity);
        assertEquals(200, submitted.statusCode());
        assertTrue(submitted.body().isEmpty(), "an empty 200 closes the form: " + submitted.body());

        held.get().then().statusCode(200)
                .body("status", equalTo("paid"))
                .body("decision.approved_by", equalTo("fin-approver-2"))
                .body("decision.note", equalTo("DE and FR only, skip the rest"))
                .body("decision.revisions.task_budget.amount", equalTo("800.00"))
                .body("decision.revisions.task_budget.task", equalTo(task))
                .body("receipt.reference", startsWith("pi_"));
        for (FakeSlack.PostedMessage m : List.of(card, dm)) {
            await(() -> slack().message(m.channel(), m.ts()).filter(x -> texts(x.blocks())
                    .contains("*Approved* by fin-approver-2 via slack at 20")
                    && texts(x.blocks()).contains(": DE and FR only, skip the rest")), "card updated in " + m.channel());
        }
    }

    // ---- Slack unavailable ----

    @Test
    void whileSlackIsDownTheApprovalStaysDecidableAndTheCardArrivesLater() throws Exception {
        slack().down(true);
        String approvalId;
        String paymentId;
        try {
            Response r = post(AGENT, fetch(seller.baseUrl() + "/ask", "slack outage"), null);
            r.then().statusCode(202);
            approvalId = r.path("approval.id");
            paymentId = r.path("id");
            pendingCard(FIN1_TOKEN, approvalId); // listed for the approver meanwhile
            answer(FIN1_TOKEN, approvalId, Map.of("decision", "approve", "note", "decided on the dashboard"))
                    .then().statusCode(200).body("outcome", equalTo("approved"));
            awaitPayment(paymentId, "paid");
            assertTrue(cardsFor(approvalId).isEmpty());
        } finally {
            slack().down(false);
        }
        FakeSlack.PostedMessage card = await(() -> cardsFor(approvalId).stream().filter(m ->
                texts(m.blocks()).contains("*Approved* by fin-approver-1 via api at 20")).findFirst(), "card delivered after the outage");
        assertTrue(actionsBlock(card.blocks()).isEmpty());
        Thread.sleep(1500);
        assertEquals(1, cardsFor(approvalId).size(), "posted once");
    }

    @Test
    void rateLimitsAndServerErrorsAreRetriedAndTheCardIsPostedOnce() throws Exception {
        quiet();
        slack().failNext(1, 429, 1);
        Response limited = post(AGENT, fetch(seller.baseUrl() + "/ask", "rate limited"), null);
        String first = limited.path("approval.id");
        awaitCard(CHANNEL, first);

        quiet();
        slack().failNext(2, 503);
        Response failing = post(AGENT, fetch(seller.baseUrl() + "/ask", "slack 503"), null);
        String second = failing.path("approval.id");
        awaitCard(CHANNEL, second);

        assertEquals(1, cardsFor(first).size());
        assertEquals(1, cardsFor(second).size());
        // the failures hit the posting of these two cards (Slack was quiet before each was asked for)
        List<FakeSlack.Call> injected = slack().calls("chat.postMessage").stream().filter(FakeSlack.Call::injectedFailure).toList();
        assertTrue(injected.stream().anyMatch(c -> c.status() == 429), injected.toString());
        assertTrue(injected.stream().filter(c -> c.status() == 503).count() >= 2, injected.toString());
    }

    // ---- helpers ----

    static Map<String, Object> fetch(String url, String purpose) {
        return Map.of("task", "t-" + UUID.randomUUID(), "purpose", purpose, "request", Map.of("method", "GET", "url", url));
    }

    static Response post(String token, Object body, String prefer) {
        var spec = given().header("Authorization", token).contentType(ContentType.JSON).body(body);
        if (prefer != null) {
            spec = spec.header("Prefer", prefer);
        }
        Response r = spec.post("/v1/payments");
        String approvalId = r.path("approval.id");
        if (approvalId != null) {
            paymentOf.put(approvalId, r.path("id"));
        }
        return r;
    }

    static Response answer(String token, String approvalId, Map<String, Object> body) {
        return given().header("Authorization", token).contentType(ContentType.JSON).body(body)
                .post("/v1/approvals/" + approvalId);
    }

    /** The payment of an approval as its approver reads it (approval.status, decided_by, decided_via...). */
    static JsonPath approval(String approvalId) {
        String paymentId = paymentOf.get(approvalId);
        assertNotNull(paymentId, "payment of " + approvalId + " unknown");
        // 202 while the payment is not final, 200 once it is
        return given().header("Authorization", FIN1_TOKEN).get("/v1/payments/" + paymentId).then()
                .statusCode(org.hamcrest.Matchers.oneOf(200, 202)).extract().jsonPath();
    }

    /** approval id → payment id, remembered from the 202 and from the card. */
    static final Map<String, String> paymentOf = new ConcurrentHashMap<>();

    static JsonPath pendingCard(String token, String approvalId) {
        return await(() -> {
            JsonPath pending = given().header("Authorization", token).get("/v1/approvals").then().statusCode(200).extract().jsonPath();
            Map<String, Object> card = pending.getMap("find { it.approval.id == '" + approvalId + "' }.card");
            return Optional.ofNullable(card).map(c -> JsonPath.from(toJson(c)));
        }, "approval " + approvalId + " listed");
    }

    static Response awaitPayment(String paymentId, String status) {
        return await(() -> Optional.of(given().header("Authorization", AGENT).get("/v1/payments/" + paymentId + "?wait=5"))
                .filter(r -> status.equals(r.path("status"))), "payment " + paymentId + " " + status);
    }

    static long auditEvents(String task, String event) {
        List<Map<String, Object>> lines = given().header("Authorization", AGENT).queryParam("task", task).get("/v1/audit")
                .then().statusCode(200).extract().jsonPath().getList("$");
        return lines.stream().filter(l -> event.equals(l.get("event"))).count();
    }

    FakeSlack.PostedMessage awaitCard(String channel, String approvalId) {
        FakeSlack.PostedMessage card = await(() -> slack().messages(channel).stream()
                .filter(m -> m.blocks() != null && m.blocks().toString().contains(approvalId)).findFirst(), "card for " + approvalId);
        String text = texts(card.blocks());
        int at = text.indexOf("payment pay_");
        if (at >= 0) {
            paymentOf.put(approvalId, text.substring(at + 8).split("[ ·]")[0]);
        }
        return card;
    }

    /** Waits until the broker has stopped calling Slack for a moment (earlier tests' card updates are done). */
    static void quiet() throws InterruptedException {
        int seen = -1;
        while (seen != slack().calls().size()) {
            seen = slack().calls().size();
            Thread.sleep(1500);
        }
    }

    static List<FakeSlack.PostedMessage> cardsFor(String approvalId) {
        return slack().messages().stream().filter(m -> m.blocks() != null && m.blocks().toString().contains(approvalId))
                .filter(m -> m.channel().equals(CHANNEL)).toList();
    }

    static List<FakeSlack.EphemeralMessage> ephemeralsTo(String user) {
        return slack().ephemeralMessages().stream().filter(e -> e.user().equals(user)).toList();
    }

    static Optional<JsonNode> actionsBlock(JsonNode blocks) {
        for (JsonNode b : blocks) {
            if ("actions".equals(b.path("type").asText())) {
                return Optional.of(b);
            }
        }
        return Optional.empty();
    }

    /** Every text in the blocks, one per line: what a person reads on the card. */
    static String texts(JsonNode node) {
        StringBuilder sb = new StringBuilder();
        collect(node, sb);
        return sb.toString();
    }

    private static void collect(JsonNode node, StringBuilder sb) {
        if (node == null) {
            return;
        }
        if (node.isObject()) {
            JsonNode t = node.get("text");
            if (t != null && t.isTextual()) {
                sb.append(t.asText()).append('\n');
            }
        }
        node.forEach(child -> collect(child, sb));
    }

    static String toJson(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @SuppressWarnings("unchecked")
    static <T> List<T> all(List<? extends Supplier<? extends T>> tasks) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(tasks.size());
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<T>> futures = new ArrayList<>();
            for (Supplier<? extends T> task : tasks) {
                futures.add(pool.submit(() -> {
                    go.await();
                    return (T) task.get();
                }));
            }
            go.countDown();
            List<T> results = new ArrayList<>();
            for (Future<T> f : futures) {
                results.add(f.get());
            }
            return results;
        } finally {
            pool.shutdown();
        }
    }

    static <T> T await(Supplier<Optional<T>> probe, String what) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            Optional<T> value = probe.get();
            if (value.isPresent()) {
                return value.get();
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
        throw new AssertionError("timed out waiting for " + what);
    }
}
