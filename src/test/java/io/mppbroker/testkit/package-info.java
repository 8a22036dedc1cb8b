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
 * </ul>
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
