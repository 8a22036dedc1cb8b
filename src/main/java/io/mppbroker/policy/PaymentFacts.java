package io.mppbroker.policy;

import java.math.BigDecimal;
import java.util.Objects;
import java.util.Optional;

/**
 * What the broker knows about one payment when it asks the policy: the challenge (method, intent, amount in
 * major units, currency, seller host, realm, Stripe network profile), the agent's task, what was already
 * spent for that task / today / this month (major units, committed and reserved payments), and how many
 * earlier payments to the same host within {@code recurring.window} had a similar amount
 * (see {@link RecurringRule#isSimilar}).
 */
public record PaymentFacts(
        String method,
        String intent,
        BigDecimal amount,
        String currency,
        String sellerHost,
        String realm,
        Optional<String> networkProfile,
        String task,
        BigDecimal spentTask,
        BigDecimal spentDay,
        BigDecimal spentMonth,
        int similarRecentPayments) {

    public PaymentFacts {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(intent, "intent");
        Objects.requireNonNull(amount, "amount");
        Objects.requireNonNull(currency, "currency");
        Objects.requireNonNull(sellerHost, "sellerHost");
        networkProfile = networkProfile == null ? Optional.empty() : networkProfile;
        Objects.requireNonNull(spentTask, "spentTask");
        Objects.requireNonNull(spentDay, "spentDay");
        Objects.requireNonNull(spentMonth, "spentMonth");
        if (similarRecentPayments < 0) throw new IllegalArgumentException("similarRecentPayments < 0");
    }
}
