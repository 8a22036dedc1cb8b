package io.mppbroker.ledger;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Currency;
import java.util.Locale;

/** Amounts as people read them: the currency's minor digits ("5.00" usd, "500" jpy), never rounded. */
public final class Money {

    private Money() {}

    public static String format(BigDecimal amount, String currency) {
        if (amount == null) {
            return null;
        }
        int digits = 2;
        try {
            digits = Math.max(0, Currency.getInstance(currency.toUpperCase(Locale.ROOT)).getDefaultFractionDigits());
        } catch (RuntimeException unknownOrMissingCurrency) {
            // keep two digits
        }
        BigDecimal stripped = amount.stripTrailingZeros();
        return (stripped.scale() <= digits ? amount.setScale(digits, RoundingMode.UNNECESSARY) : stripped).toPlainString();
    }
}
