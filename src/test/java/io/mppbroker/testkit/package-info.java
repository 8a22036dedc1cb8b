/**
 * Test kit for the broker's Quarkus and black-box tests: local fakes of services this machine cannot reach,
 * and MPP sellers to pay.
 * <ul>
 *   <li>{@link io.mppbroker.testkit.FakeStripe}: Stripe's SPT and PaymentIntent endpoints, wire-compatible
 *       with stripe-java and the {@code stripe} npm SDK.</li>
 *   <li>{@link io.mppbroker.testkit.MppTestSeller}: an MPP seller built from the drafts, with switches
 *       for misbehaviour.</li>
 *   <li>{@link io.mppbroker.testkit.MppxSeller}: the reference mppx 0.11.0 seller, run with node.</li>
 *   <li>{@link io.mppbroker.testkit.BrokerProcess}: the packaged broker as a separate process.</li>
 *   <li>{@link io.mppbroker.testkit.FakeSlack} and {@link io.mppbroker.testkit.SlackInteraction}: the Slack Web
 *       API and the signed interaction payloads Slack posts to an app.</li>
 *   <li>{@link io.mppbroker.testkit.FakeTelegram} and {@link io.mppbroker.testkit.TelegramUpdates}: the Telegram
 *       Bot API and the updates Telegram posts to a webhook.</li>
 * </ul>
 *
 * <h2>Chat fakes: what they cover</h2>
 * Both run on 127.0.0.1 with an ephemeral port, are thread-safe, record every call (without tokens), offer
 * {@code failNext(n, status)} (429 with the platform's retry hint, or 5xx, before any effect), {@code down(boolean)}
 * (nothing listens; back on the same port) and {@code advanceTime}. The official clients work against them
 * unchanged: {@code slack-api-client} 1.48.0 ({@code SlackConfig.setMethodsEndpointUrlPrefix(slack.baseUrl())})
 * and {@code telegrambots-client} 10.2.0 ({@code TelegramUrl.builder().schema("http").host(tg.host())
 * .port(tg.port())}).
 * <ul>
 *   <li><b>FakeSlack</b>: {@code chat.postMessage} (to channel ids, {@code #names} or a user id, which lands in
 *       their DM), {@code chat.update} (omitted blocks are kept), {@code chat.postEphemeral}, {@code views.open}
 *       (trigger ids valid 3 s and once), {@code views.update} (hash check), {@code auth.test},
 *       {@code users.info}, {@code users.lookupByEmail}, {@code conversations.open}; Block Kit validation with
 *       Slack's limits; form, multipart and JSON bodies; Slack's error codes with HTTP 200; response_urls (5 uses,
 *       30 minutes; replace/delete original, ephemeral or in-channel follow-ups).
 *       {@link io.mppbroker.testkit.FakeSlack#clickButton} and {@link io.mppbroker.testkit.FakeSlack#viewSubmission}
 *       build what Slack would send for a click on a button the broker really posted, or a submission of a modal
 *       it really opened.</li>
 *   <li><b>FakeTelegram</b>: {@code getMe}, {@code sendMessage}, {@code editMessageText} (drops the keyboard when
 *       {@code reply_markup} is omitted; refuses no-op edits), {@code editMessageReplyMarkup},
 *       {@code answerCallbackQuery} (once per query the fake issued), {@code setWebhook}/{@code deleteWebhook}/
 *       {@code getWebhookInfo} (HTTPS and allowed ports only, secret token charset); callback_data of 1-64 bytes;
 *       HTML, MarkdownV2 and Markdown parsing into entities with Telegram's refusals; private chats, groups,
 *       users who blocked the bot. {@link io.mppbroker.testkit.FakeTelegram#pressButton} and
 *       {@link io.mppbroker.testkit.FakeTelegram#reply} build the matching webhook updates.</li>
 * </ul>
 *
 * <h2>What they do not cover</h2>
 * <ul>
 *   <li>No delivery: the fakes never call the app. Tests post interactions and updates to the broker themselves
 *       ({@code SignedRequest.post}, {@code WebhookRequest.post}).</li>
 *   <li>Slack: no Events API, Socket Mode, slash commands, OAuth, files, threads listing, scopes, per-method rate
 *       tiers, {@code views.push}/{@code publish}, attachments validation, or mrkdwn rendering; one workspace, one
 *       bot token; thread_ts is recorded, not checked. response_url answers are JSON {@code {"ok":...}}, and its
 *       error codes ({@code used_url}, {@code expired_url}, {@code no_service}) are not documented by Slack.</li>
 *   <li>Telegram: no getUpdates long polling, inline mode, media, inline_message_id edits, topics, or automatic
 *       entity detection (URLs, mentions); callback queries do not expire with time; inline keyboard size limits
 *       are not enforced. Error descriptions follow Telegram's wording where known; match on status and prefix.</li>
 *   <li>Both: error texts for rare cases and the 5xx bodies are plausible, not captured from the real services.</li>
 * </ul>
 *
 * Typical use:
 * <pre>{@code
 * try (FakeStripe stripe = FakeStripe.start();
 *      MppTestSeller seller = MppTestSeller.start(stripe.baseUrl()).price("GET", "/report", "250", "usd");
 *      BrokerProcess broker = BrokerProcess.start(Map.of(
 *              "BROKER_STRIPE_API_BASE", stripe.baseUrl(), "BROKER_STRIPE_SECRET_KEY", "sk_test_broker"))) {
 *     // ... ask the broker to fetch seller.baseUrl() + "/report" ...
 *     assertEquals(1, seller.payments().size());
 * }
 * }</pre>
 */
package io.mppbroker.testkit;
