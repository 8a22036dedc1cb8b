package io.mppbroker.policy;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Objects;

/**
 * Recurring-payment detection: a payment is flagged when the same seller host was already paid a similar
 * amount at least {@code minOccurrences - 1} times within {@code window}. An earlier amount is similar
 * when it differs from the current one by at most {@code amountTolerance} (a fraction, 0.10 = ±10%) of the
 * current amount.
 */
public record RecurringRule(int minOccurrences, Duration window, BigDecimal amountTolerance) {
    public static final RecurringRule DEFAULT = new RecurringRule(3, Duration.ofDays(7), new BigDecimal("0.10"));

    public RecurringRule {
        Objects.requireNonNull(window, "window");
        Objects.requireNonNull(amountTolerance, "amountTolerance");
    }

    /** The definition of "similar amount" that the ledger must use when counting similarRecentPayments. */
    public boolean isSimilar(BigDecimal current, BigDecimal earlier) {
        return current.subtract(earlier).abs().compareTo(current.multiply(amountTolerance)) <= 0;
    }

    /** How many earlier similar payments make the current one recurring. */
    public int earlierPaymentsToFlag() {
        return minOccurrences - 1;
    }

    /** Tolerance as a percentage for messages, e.g. "10". */
    public String tolerancePercent() {
        return amountTolerance.movePointRight(2).stripTrailingZeros().toPlainString();
    }

    /** The window in the short form used in policy files when it fits (7d, 24h, 30m), else ISO-8601. */
    public String windowText() {
        return formatWindow(window);
    }

    static String formatWindow(Duration d) {
        if (!d.isZero() && d.toSeconds() % 86_400 == 0 && d.getNano() == 0) return d.toDays() + "d";
        if (!d.isZero() && d.toSeconds() % 3_600 == 0 && d.getNano() == 0) return d.toHours() + "h";
        if (!d.isZero() && d.toSeconds() % 60 == 0 && d.getNano() == 0) return d.toMinutes() + "m";
        return d.toString();
    }
}
