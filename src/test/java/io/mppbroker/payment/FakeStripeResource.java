package io.mppbroker.payment;

import io.mppbroker.testkit.FakeStripe;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/** Starts the fake Stripe before the broker boots and points broker.stripe.api-base at it. */
public class FakeStripeResource implements QuarkusTestResourceLifecycleManager {

    public static final String BROKER_KEY = "sk_test_broker_quarkus_tests";

    private static FakeStripe stripe;

    public static FakeStripe stripe() {
        return stripe;
    }

    @Override
    public Map<String, String> start() {
        stripe = FakeStripe.start();
        return Map.of("broker.stripe.api-base", stripe.baseUrl(), "broker.stripe.secret-key", BROKER_KEY);
    }

    @Override
    public void stop() {
        if (stripe != null) {
            stripe.close();
        }
    }
}
