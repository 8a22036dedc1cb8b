package io.mppbroker.access;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class StripeActionsTest {

    static Optional<String> action(String method, String path) {
        return StripeActions.of(method, path).map(r -> r.action() + " " + r.resource());
    }

    @Test
    void methodAndFirstSegmentNameTheAction() {
        assertEquals(Optional.of("stripe:charges:read stripe.com/v1/charges"), action("GET", "charges"));
        assertEquals(Optional.of("stripe:charges:read stripe.com/v1/charges/ch_123"), action("GET", "charges/ch_123"));
        assertEquals(Optional.of("stripe:charges:write stripe.com/v1/charges"), action("POST", "charges"));
        assertEquals(Optional.of("stripe:customers:write stripe.com/v1/customers/cus_1"), action("DELETE", "customers/cus_1"));
        assertEquals(Optional.of("stripe:payment_intents:write stripe.com/v1/payment_intents/pi_1/confirm"),
                action("POST", "payment_intents/pi_1/confirm"));
        assertEquals(Optional.of("stripe:balance:read stripe.com/v1/balance"), action("GET", "balance"));
        assertEquals(Optional.of("stripe:balance_transactions:read stripe.com/v1/balance_transactions"), action("GET", "balance_transactions"));
        assertEquals(Optional.of("stripe:charges:read stripe.com/v1/charges/search"), action("GET", "charges/search"));
    }

    @Test
    void pathsThatCouldNameAnotherResourceAreRefused() {
        assertEquals(Optional.empty(), action("GET", "charges/../customers"));
        assertEquals(Optional.empty(), action("GET", "charges/%2E%2E/customers"));
        assertEquals(Optional.empty(), action("GET", "charges%2F..%2Fcustomers"));
        assertEquals(Optional.empty(), action("GET", "charges//x"));
        assertEquals(Optional.empty(), action("GET", "Charges"));
        assertEquals(Optional.empty(), action("PATCH", "charges"));
    }
}
