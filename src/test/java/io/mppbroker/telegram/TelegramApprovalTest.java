package io.mppbroker.telegram;

import static io.mppbroker.telegram.FakeTelegramResource.APPROVER;
import static io.mppbroker.telegram.FakeTelegramResource.GROUP;
import static io.mppbroker.telegram.FakeTelegramResource.OUTSIDER;
import static io.mppbroker.telegram.FakeTelegramResource.STRANGER;
import static io.mppbroker.telegram.FakeTelegramResource.WEBHOOK_SECRET;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mppbroker.approval.outbox.OutboxMessage;
import io.mppbroker.payment.FakeStripeResource;
import io.mppbroker.testkit.FakeTelegram;
import io.mppbroker.testkit.FakeTelegram.ChatMessage;
import io.mppbroker.testkit.MppTestSeller;
import io.mppbroker.testkit.TelegramUpdates;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Approvals on Telegram end to end: the card, buttons, the webhook's checks, races with the API, revise by reply, outages. */
@QuarkusTest
@QuarkusTestResource(value = FakeStripeResource.class, restrictToAnnotatedClass = true)
@QuarkusTestResource(value = FakeTelegramResource.class, restrictToAnnotatedClass = true)
class TelegramApprovalTest {

    static final String AGENT = "Bearer tg-agent-token";
    static final String APPROVER_TOKEN = "Bearer tg-approver-token";
    static final String COLLEAGUE_TOKEN = "Bearer tg-colleague-token";
    static final String APPROVE = "\u2705 Approve";
    static final String DENY = "\u274C Deny";
    static final String REVISE = "\u270F Revise";

    static MppTestSeller seller;

    record Held(String paymentId, String approvalId, String task) {}

    @BeforeAll
    static void start() {
        RestAssured.enableLoggingOfRequestAndResponseIfValidationFails();
        seller = MppTestSeller.builder(FakeStripeResource.stripe().baseUrl()).stripeSecretKey("sk_test_tg_seller").start();
        seller.price("GET", "/ask", "2000", "usd");    // 20.00: ask tier
        seller.price("GET", "/big", "15000", "usd");   // 150.00: over the 100.00 task budget
    }

    @AfterAll
    static void stop() {
        seller.close();
    }

    static FakeTelegram tg() {
        return FakeTelegramResource.telegram();
    }

    static URI webhook() {
        return URI.create("http://localhost:" + RestAssured.port + "/telegram/webhook");
    }

    static Map<String, Object> fetch(String path, String purpose) {
        return Map.of("task", "t-" + UUID.randomUUID(), "purpose", purpose,
                "request", Map.of("method", "GET", "url", seller.baseUrl() + path));
    }

    static Held ask(String path) {
        Response r = given().header("Authorization", AGENT).contentType(ContentType.JSON).body(fetch(path, "telegram test"))
                .post("/v1/payments");
        r.then().statusCode(202);
        return new Held(r.path("id"), r.path("approval.id"), r.path("task"));
    }

    static Response answerViaApi(String token, String approvalId, Map<String, Object> body) {
        return given().header("Authorization", token).contentType(ContentType.JSON).body(body)
                .post("/v1/approvals/" + approvalId);
    }

    static Response payment(String id) {
        return given().header("Authorization", AGENT).get("/v1/payments/" + id);
    }

    static HttpResponse<String> deliver(TelegramUpdates.Update update) {
        return update.withSecret(WEBHOOK_SECRET).post(webhook());
    }

    /** The card the bot posted in the group for this approval (not the revise prompt, which replies to it). */
    static ChatMessage awaitCard(String approvalId) {
        return awaitMessage(m -> m.fromBot() && m.replyToMessageId() == null && m.text().contains(approvalId),
                "card for " + approvalId, Duration.ofSeconds(40));
    }

    static ChatMessage awaitMessage(Predicate<ChatMessage> wanted, String what, Duration timeout) {
        return await(() -> tg().messages(GROUP).stream().filter(wanted).reduce((a, b) -> b).orElse(null), what, timeout);
    }

    static FakeTelegram.CallbackAnswer awaitAnswer(String queryId) {
        return await(() -> tg().callbackAnswers().stream().filter(a -> a.callbackQueryId().equals(queryId)).findFirst()
                .orElse(null), "answer to callback query " + queryId, Duration.ofSeconds(10));
    }

    static <T> T await(Supplier<T> probe, String what, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            T t = probe.get();
            if (t != null) {
                return t;
            }
            sleep(100);
        }
        throw new AssertionError("timed out waiting for " + what + "; group messages: " + tg().messages(GROUP).stream()
                .map(ChatMessage::text).toList());
    }

    static Response awaitStatus(String paymentId, String status) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        Response r;
        do {
            r = given().header("Authorization", AGENT).queryParam("wait", 2).get("/v1/payments/" + paymentId);
        } while (!status.equals(r.path("status")) && System.nanoTime() < deadline);
        assertEquals(status, r.path("status"), r.asString());
        return r;
    }

    static List<OutboxMessage> outbox(String approvalId) {
        return QuarkusTransaction.requiringNew().call(() -> OutboxMessage.<OutboxMessage>list(
                "approvalId = ?1 and channel = 'telegram' order by id", approvalId));
    }

    /** The card's outbox row once the worker recorded the delivery (just after Telegram has the message). */
    static OutboxMessage awaitSent(String approvalId) {
        return await(() -> outbox(approvalId).stream().filter(m -> m.kind == OutboxMessage.Kind.ANNOUNCE
                && m.status == OutboxMessage.Status.SENT).findFirst().orElse(null), "the card's delivery recorded",
                Duration.ofSeconds(10));
    }

    static void awaitOutboxIdle() {
        await(() -> QuarkusTransaction.requiringNew().call(() -> OutboxMessage.count("status in ?1",
                List.of(OutboxMessage.Status.PENDING, OutboxMessage.Status.SENDING))) == 0 ? Boolean.TRUE : null,
                "an idle outbox", Duration.ofSeconds(30));
    }

    @Test
    void theCardGoesToTheRoutedChatWithTheContextAndThreeButtons() {
        Held h = ask("/ask");
        ChatMessage card = awaitCard(h.approvalId());
        String text = card.text();
        for (String expected : List.of("Approval needed: 20.00 USD", "tg-agent", "project tg", h.task(), "telegram test",
                "127.0.0.1", seller.baseUrl() + "/ask", "Tier: ask", "Budgets", "task " + h.task() + ": 0.00 of 100.00 used",
                h.approvalId(), h.paymentId())) {
            assertTrue(text.contains(expected), "card lacks \"" + expected + "\":\n" + text);
        }
        assertEquals(List.of(APPROVE, DENY, REVISE), card.buttonTexts());
        assertEquals(List.of("a:" + h.approvalId(), "d:" + h.approvalId(), "r:" + h.approvalId()), card.callbackData());
        card.callbackData().forEach(d -> assertTrue(d.getBytes(StandardCharsets.UTF_8).length <= 64, d));
        // The fake shows a message in the chat before it records the call that sent it: wait for the record.
        FakeTelegram.Call sent = await(() -> tg().calls("sendMessage").stream()
                .filter(c -> c.ok() && c.params().path("chat_id").asText().equals(String.valueOf(GROUP))
                        && c.response().path("result").path("message_id").asLong() == card.messageId())
                .findFirst().orElse(null), "the card's sendMessage call", Duration.ofSeconds(10));
        assertTrue("HTML".equalsIgnoreCase(sent.params().path("parse_mode").asText()), sent.params().toString());
        // The worker records the ref in its own transaction right after Telegram answered: wait for that commit.
        String ref = null;
        for (long end = System.nanoTime() + 10_000_000_000L; ref == null && System.nanoTime() < end; ) {
            ref = outbox(h.approvalId()).get(0).externalRef;
            if (ref == null) {
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        assertEquals(GROUP + ":" + card.messageId(), ref);
    }

    @Test
    void approvingWithTheButtonDecidesPaysAndEditsTheCard() {
        Held h = ask("/ask");
        ChatMessage card = awaitCard(h.approvalId());
        TelegramUpdates.Update click = tg().pressButton(APPROVER, GROUP, card.messageId(), APPROVE);

        assertEquals(200, deliver(click).statusCode());

        assertEquals("Approved", awaitAnswer(click.callbackQueryId()).text());
        awaitStatus(h.paymentId(), "paid").then()
                .body("decision.approved_by", equalTo("tg-approver"))
                .body("approval.decided_via", equalTo("telegram"));
        ChatMessage edited = awaitMessage(m -> m.messageId() == card.messageId() && m.edited(), "edited card",
                Duration.ofSeconds(20));
        assertTrue(edited.text().startsWith("\u2705 Approved: 20.00 USD"), edited.text());
        assertTrue(edited.text().contains("by tg-approver via telegram"), edited.text());
        assertTrue(edited.text().contains("UTC"), edited.text());
        assertNull(edited.replyMarkup(), "the keyboard is removed once decided");

        // A later answer from another channel is told who decided, and where.
        answerViaApi(COLLEAGUE_TOKEN, h.approvalId(), Map.of("decision", "deny")).then().statusCode(409)
                .body("type", equalTo("https://mpp-broker.dev/problems/approval-already-decided"))
                .body("decided_by", equalTo("tg-approver"))
                .body("decided_via", equalTo("telegram"));
    }

    @Test
    void denyingWithTheButtonDenies() {
        Held h = ask("/ask");
        ChatMessage card = awaitCard(h.approvalId());
        TelegramUpdates.Update click = tg().pressButton(APPROVER, GROUP, card.messageId(), DENY);
        assertEquals(200, deliver(click).statusCode());
        assertEquals("Denied", awaitAnswer(click.callbackQueryId()).text());
        awaitStatus(h.paymentId(), "denied").then().body("decision.reason", startsWith("denied by tg-approver"));
        ChatMessage edited = awaitMessage(m -> m.messageId() == card.messageId() && m.edited(), "edited card",
                Duration.ofSeconds(20));
        assertTrue(edited.text().startsWith("\u274C Denied"), edited.text());
        assertNull(edited.replyMarkup());
    }

    @Test
    void aWrongOrMissingSecretIsRefusedAndDecidesNothing() {
        Held h = ask("/ask");
        ChatMessage card = awaitCard(h.approvalId());
        TelegramUpdates.Update click = tg().pressButton(APPROVER, GROUP, card.messageId(), APPROVE);

        for (TelegramUpdates.WebhookRequest forged : List.of(click.withWrongSecret(), click.withoutSecret())) {
            HttpResponse<String> r = forged.post(webhook());
            assertEquals(401, r.statusCode(), r.body());
            assertEquals("application/problem+json", r.headers().firstValue("Content-Type").orElse(""));
            assertTrue(r.body().contains("https://mpp-broker.dev/problems/unauthorized"), r.body());
        }
        sleep(500);
        payment(h.paymentId()).then().body("status", equalTo("pending_approval")).body("approval.status", equalTo("pending"));
        assertTrue(tg().callbackAnswers().stream().noneMatch(a -> a.callbackQueryId().equals(click.callbackQueryId())));

        // The same update with the right secret is accepted: it was only the secret that was wrong.
        assertEquals(200, deliver(click).statusCode());
        assertEquals("Approved", awaitAnswer(click.callbackQueryId()).text());
    }

    @Test
    void someoneWhoIsNotAnApproverOfTheProjectIsRefused() {
        Held h = ask("/ask");
        ChatMessage card = awaitCard(h.approvalId());
        for (long user : List.of(STRANGER, OUTSIDER)) { // in no policy; approver of project tg-other only
            TelegramUpdates.Update click = tg().pressButton(user, GROUP, card.messageId(), APPROVE);
            assertEquals(200, deliver(click).statusCode());
            FakeTelegram.CallbackAnswer told = awaitAnswer(click.callbackQueryId());
            assertTrue(told.showAlert());
            assertTrue(told.text().startsWith("You are not an approver of project tg"), told.text());
        }
        TelegramUpdates.Update revise = tg().pressButton(STRANGER, GROUP, card.messageId(), REVISE);
        deliver(revise);
        assertTrue(awaitAnswer(revise.callbackQueryId()).showAlert());
        payment(h.paymentId()).then().body("status", equalTo("pending_approval"));
        assertFalse(tg().message(GROUP, card.messageId()).orElseThrow().edited());
        assertTrue(tg().messages(GROUP).stream().noneMatch(m -> m.text().startsWith("Revise approval " + h.approvalId())));
    }

    @Test
    void aClickRacingAnApiAnswerYieldsOneDecisionAndTheLoserIsToldWhoDecided() throws Exception {
        for (int round = 0; round < 3; round++) {
            Held h = ask("/ask");
            ChatMessage card = awaitCard(h.approvalId());
            TelegramUpdates.Update click = tg().pressButton(APPROVER, GROUP, card.messageId(), APPROVE);
            CountDownLatch go = new CountDownLatch(1);
            CompletableFuture<HttpResponse<String>> viaTelegram = CompletableFuture.supplyAsync(() -> {
                awaitLatch(go);
                return deliver(click);
            });
            CompletableFuture<Response> viaApi = CompletableFuture.supplyAsync(() -> {
                awaitLatch(go);
                return answerViaApi(COLLEAGUE_TOKEN, h.approvalId(), Map.of("decision", "approve"));
            });
            go.countDown();

            assertEquals(200, viaTelegram.get().statusCode());
            Response api = viaApi.get();
            String told = awaitAnswer(click.callbackQueryId()).text();
            String winner;
            if (api.statusCode() == 200) {
                winner = "tg-colleague";
                assertEquals("Already approved by tg-colleague via api", told);
            } else {
                winner = "tg-approver";
                api.then().statusCode(409).body("decided_by", equalTo("tg-approver")).body("decided_via", equalTo("telegram"));
                assertEquals("Approved", told);
            }
            awaitStatus(h.paymentId(), "paid").then().body("decision.approved_by", equalTo(winner));
            List<String> events = given().header("Authorization", AGENT).queryParam("task", h.task()).get("/v1/audit")
                    .then().statusCode(200).extract().jsonPath().getList("event");
            assertEquals(1, events.stream().filter("approval"::equals).count(), events.toString());
            String via = winner.equals("tg-colleague") ? "api" : "telegram";
            awaitMessage(m -> m.messageId() == card.messageId() && m.text().contains("by " + winner + " via " + via),
                    "card naming the winner", Duration.ofSeconds(20));
        }

        // Deterministically the other way round: the API answered first, the click comes late.
        Held h = ask("/ask");
        ChatMessage card = awaitCard(h.approvalId());
        // The click is taken while the card still shows its buttons (the approver's app still does after the
        // API answer; the fake's copy may already be edited by the outbox, which is what made this racy).
        TelegramUpdates.Update late = tg().pressButton(APPROVER, GROUP, card.messageId(), APPROVE);
        answerViaApi(COLLEAGUE_TOKEN, h.approvalId(), Map.of("decision", "deny", "note", "not now")).then().statusCode(200);
        assertEquals(200, deliver(late).statusCode());
        assertEquals("Already denied by tg-colleague via api", awaitAnswer(late.callbackQueryId()).text());
        awaitStatus(h.paymentId(), "denied");
    }

    @Test
    void revisingByReplyRaisesTheTaskBudgetAndTheNoteFlowsBackToTheAgent() throws Exception {
        Map<String, Object> body = fetch("/big", "Q3 <market> report & more");
        String task = (String) body.get("task");
        CompletableFuture<Response> held = CompletableFuture.supplyAsync(() -> given().header("Authorization", AGENT)
                .header("Prefer", "wait=30").contentType(ContentType.JSON).body(body).post("/v1/payments"));
        ChatMessage card = awaitMessage(m -> m.fromBot() && m.replyToMessageId() == null && m.text().contains(task),
                "card for " + task, Duration.ofSeconds(20));
        assertTrue(card.text().contains("Q3 <market> report & more"), card.text()); // escaped for HTML, shown as typed
        assertTrue(card.text().contains("Tier: over_budget"), card.text());
        String approvalId = card.callbackData().get(0).substring(2);

        TelegramUpdates.Update revise = tg().pressButton(APPROVER, GROUP, card.messageId(), REVISE);
        assertEquals(200, deliver(revise).statusCode());
        assertTrue(awaitAnswer(revise.callbackQueryId()).text().contains("amount=<max> budget=<task budget>"));
        ChatMessage prompt = awaitMessage(m -> m.fromBot() && Long.valueOf(card.messageId()).equals(m.replyToMessageId())
                && m.text().startsWith("Revise approval " + approvalId), "revise prompt", Duration.ofSeconds(10));
        FakeTelegram.Call promptCall = await(() -> tg().calls("sendMessage").stream()
                .filter(c -> c.params().path("text").asText().equals(prompt.text())).findFirst().orElse(null),
                "the prompt's sendMessage call", Duration.ofSeconds(10));
        assertTrue(promptCall.params().path("reply_markup").toString().contains("force_reply"), "the prompt forces a reply");

        // A reply that cannot be read is explained and decides nothing.
        TelegramUpdates.Update bad = tg().reply(APPROVER, GROUP, prompt.messageId(), "budget=lots");
        assertEquals(200, deliver(bad).statusCode());
        long badId = bad.json().path("message").path("message_id").asLong();
        ChatMessage explained = awaitMessage(m -> m.fromBot() && Long.valueOf(badId).equals(m.replyToMessageId()),
                "reply to the unreadable revision", Duration.ofSeconds(10));
        assertTrue(explained.text().startsWith("Not applied: task_budget.amount must be a decimal amount"), explained.text());
        payment((String) QuarkusTransaction.requiringNew().call(() ->
                        io.mppbroker.approval.Approval.<io.mppbroker.approval.Approval>findById(approvalId).paymentId))
                .then().body("status", equalTo("pending_approval"));

        TelegramUpdates.Update good = tg().reply(APPROVER, GROUP, prompt.messageId(),
                "budget=400.00 ttl=72h note=skip DE and FR");
        assertEquals(200, deliver(good).statusCode());

        Response r = held.get();
        r.then().statusCode(200)
                .body("status", equalTo("paid"))
                .body("decision.approved_by", equalTo("tg-approver"))
                .body("decision.note", equalTo("skip DE and FR"))
                .body("decision.revisions.task_budget.amount", equalTo("400.00"))
                .body("decision.revisions.task_budget.task", equalTo(task))
                .body("approval.decided_via", equalTo("telegram"));
        long goodId = good.json().path("message").path("message_id").asLong();
        ChatMessage confirmed = awaitMessage(m -> m.fromBot() && Long.valueOf(goodId).equals(m.replyToMessageId()),
                "confirmation of the revision", Duration.ofSeconds(10));
        assertTrue(confirmed.text().startsWith("Approved\nTask budget 400.00 for 72h\nNote: skip DE and FR"), confirmed.text());
        ChatMessage edited = awaitMessage(m -> m.messageId() == card.messageId() && m.text().startsWith("\u2705 Approved"),
                "edited card", Duration.ofSeconds(20));
        assertTrue(edited.text().contains("Note: skip DE and FR"), edited.text());
        assertNull(edited.replyMarkup());
    }

    @Test
    void narrowingAnAccessRequestByReplyIssuesTheNarrowerGrantAndABroaderReplyIsRefused() {
        String why = "month-end lookups " + UUID.randomUUID();
        Response created = given().header("Authorization", AGENT).contentType(ContentType.JSON)
                .body(Map.of("justification", why, "actions", List.of("stripe:charges:read", "stripe:customers:read"),
                        "ttl", "24h"))
                .post("/v1/access-requests");
        created.then().statusCode(201);
        String requestId = created.path("id");
        String approvalId = created.path("approval_id");
        ChatMessage card = awaitMessage(m -> m.fromBot() && m.replyToMessageId() == null && m.text().contains(why),
                "access card", Duration.ofSeconds(40));

        TelegramUpdates.Update narrow = tg().pressButton(APPROVER, GROUP, card.messageId(), "\u270F Narrow");
        assertEquals(200, deliver(narrow).statusCode());
        assertTrue(awaitAnswer(narrow.callbackQueryId()).text().contains("ttl=<2h> actions=<a,b>"));
        ChatMessage prompt = awaitMessage(m -> m.fromBot() && Long.valueOf(card.messageId()).equals(m.replyToMessageId())
                && m.text().startsWith("Narrow approval " + approvalId), "narrow prompt", Duration.ofSeconds(10));

        // Broader than asked (a longer TTL, an action not requested): refused, the request stays pending.
        for (String broader : List.of("ttl=48h", "actions=stripe:charges:write")) {
            TelegramUpdates.Update wide = tg().reply(APPROVER, GROUP, prompt.messageId(), broader);
            assertEquals(200, deliver(wide).statusCode());
            long wideId = wide.json().path("message").path("message_id").asLong();
            ChatMessage refused = awaitMessage(m -> m.fromBot() && Long.valueOf(wideId).equals(m.replyToMessageId()),
                    "answer to " + broader, Duration.ofSeconds(10));
            assertTrue(refused.text().startsWith("Not counted"), refused.text());
            accessRequest(requestId).then().body("status", equalTo("pending")).body("grant", equalTo(null));
        }

        TelegramUpdates.Update good = tg().reply(APPROVER, GROUP, prompt.messageId(), "ttl=2h actions=stripe:customers:read");
        Instant before = Instant.now();
        assertEquals(200, deliver(good).statusCode());
        Response decided = given().header("Authorization", AGENT).queryParam("wait", 20).get("/v1/access-requests/" + requestId);
        decided.then().statusCode(200)
                .body("status", equalTo("approved"))
                .body("decided_by", equalTo("tg-approver"))
                .body("grant.actions", equalTo(List.of("customers:read")))
                .body("grant.status", equalTo("active"));
        Instant expires = Instant.parse(decided.path("grant.expires_at"));
        assertTrue(expires.isBefore(Instant.now().plus(Duration.ofHours(2)).plusSeconds(1)), expires.toString());
        assertFalse(expires.isBefore(before.plus(Duration.ofHours(2)).minusSeconds(1)), expires.toString());
        long goodId = good.json().path("message").path("message_id").asLong();
        ChatMessage confirmed = awaitMessage(m -> m.fromBot() && Long.valueOf(goodId).equals(m.replyToMessageId()),
                "confirmation of the narrowing", Duration.ofSeconds(10));
        assertTrue(confirmed.text().startsWith("Approved\nGranted for 2h\nActions: stripe:customers:read"), confirmed.text());
        authorize("stripe:customers:read", "stripe.com/v1/customers").then().statusCode(200);
        authorize("stripe:charges:read", "stripe.com/v1/charges").then().statusCode(403);
    }

    static Response accessRequest(String id) {
        return given().header("Authorization", AGENT).get("/v1/access-requests/" + id);
    }

    static Response authorize(String action, String resource) {
        return given().header("Authorization", AGENT).contentType(ContentType.JSON)
                .body(Map.of("action", action, "resource", resource)).post("/v1/authorize");
    }

    @Test
    void whileTelegramIsDownTheApprovalIsDecidableViaTheApiAndTheCardArrivesLater() {
        awaitOutboxIdle();
        tg().down(true);
        Held h;
        try {
            h = ask("/ask");
            answerViaApi(COLLEAGUE_TOKEN, h.approvalId(), Map.of("decision", "approve", "note", "telegram is down"))
                    .then().statusCode(200).body("outcome", equalTo("approved"));
            awaitStatus(h.paymentId(), "paid");
            await(() -> outbox(h.approvalId()).get(0).attempts >= 1 ? Boolean.TRUE : null, "a failed delivery",
                    Duration.ofSeconds(10));
            assertTrue(outbox(h.approvalId()).get(0).lastError.startsWith("Telegram sendMessage unreachable"),
                    outbox(h.approvalId()).get(0).lastError);
        } finally {
            tg().down(false);
        }
        ChatMessage card = awaitCard(h.approvalId());
        assertTrue(card.text().startsWith("\u2705 Approved: 20.00 USD"), card.text());
        assertTrue(card.text().contains("by tg-colleague via api"), card.text());
        assertTrue(card.text().contains("Note: telegram is down"), card.text());
        assertNull(card.replyMarkup(), "a card posted after the decision has no buttons");
        OutboxMessage announce = awaitSent(h.approvalId());
        assertTrue(announce.attempts >= 2, "attempts " + announce.attempts);
    }

    @Test
    void rateLimitsAndServerErrorsAreRetriedAndTheApprovalStaysDecidable() {
        awaitOutboxIdle();
        long limitedBefore = tg().calls("sendMessage").stream().filter(c -> c.injectedFailure() && c.status() == 429).count();
        tg().failNext(2, 429, 1);
        Held h = ask("/ask");
        ChatMessage card = awaitCard(h.approvalId());
        assertEquals(List.of(APPROVE, DENY, REVISE), card.buttonTexts());
        long limited = tg().calls("sendMessage").stream().filter(c -> c.injectedFailure() && c.status() == 429).count()
                - limitedBefore;
        assertTrue(limited >= 1, "rate-limited sends: " + limited);
        assertTrue(awaitSent(h.approvalId()).attempts >= 2);

        tg().failNext(1, 502);
        answerViaApi(APPROVER_TOKEN, h.approvalId(), Map.of("decision", "approve")).then().statusCode(200);
        ChatMessage edited = awaitMessage(m -> m.messageId() == card.messageId() && m.edited(), "edited card",
                Duration.ofSeconds(30));
        assertTrue(edited.text().contains("by tg-approver via api"), edited.text());
        awaitStatus(h.paymentId(), "paid");
    }

    @Test
    void malformedUpdatesGet200AndChangeNothing() {
        for (String body : List.of("{not json", "[]", "{\"update_id\": \"x\"}", "{}")) {
            HttpResponse<String> r = new TelegramUpdates.WebhookRequest(body, WEBHOOK_SECRET).post(webhook());
            assertEquals(200, r.statusCode(), body);
        }
        Held h = ask("/ask");
        TelegramUpdates.Update unknownButton = TelegramUpdates.callbackQuery().from(APPROVER, "approver", "Ada")
                .message(GROUP, 1).data("x:" + h.approvalId()).build();
        TelegramUpdates.Update noSuchApproval = TelegramUpdates.callbackQuery().from(APPROVER, "approver", "Ada")
                .message(GROUP, 1).data("a:apr_doesnotexist").build();
        TelegramUpdates.Update strayMessage = TelegramUpdates.replyMessage().from(APPROVER, "approver", "Ada")
                .chat(com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode().put("id", GROUP)
                        .put("type", "supergroup").put("title", "Payment approvals"))
                .text("amount=1.00").build();
        for (TelegramUpdates.Update u : List.of(unknownButton, noSuchApproval, strayMessage)) {
            assertEquals(200, deliver(u).statusCode());
        }
        payment(h.paymentId()).then().body("status", equalTo("pending_approval"));
    }

    static void awaitLatch(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
