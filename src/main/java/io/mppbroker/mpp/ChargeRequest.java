package io.mppbroker.mpp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Currency;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The decoded {@code request} of a stripe/charge challenge (draft-stripe-charge-00 §Request Schema).
 *
 * @param amountMinor        amount in the currency's minor unit as Stripe counts it (cents for usd), &gt; 0
 * @param currency           lowercase ISO 4217 code known to {@link Currency}
 * @param networkId          {@code methodDetails.networkId}, the seller's Stripe Business Network profile
 * @param paymentMethodTypes {@code methodDetails.paymentMethodTypes}, empty when absent
 * @param metadata           {@code methodDetails.metadata}, empty when absent
 */
public record ChargeRequest(
        long amountMinor,
        String currency,
        Optional<String> recipient,
        Optional<String> description,
        Optional<String> externalId,
        Optional<String> networkId,
        List<String> paymentMethodTypes,
        Map<String, String> metadata) {

    /** Longest amount accepted, in digits. */
    public static final int MAX_AMOUNT_DIGITS = 12;
    /** Largest amount accepted, in minor units (far above any Stripe charge limit). */
    public static final long MAX_AMOUNT_MINOR = 999_999_999_999L;
    /** Longest encoded request accepted by {@link #decode(String)}. */
    public static final int MAX_ENCODED_CHARS = 16 * 1024;

    /**
     * Currencies whose minor unit in Stripe's API differs from ISO 4217 (what {@link Currency} knows):
     * Stripe keeps ISK two-decimal ("500" = 5 ISK) and treats MGA as zero-decimal.
     */
    private static final Map<String, Integer> STRIPE_FRACTION_DIGITS = Map.of("isk", 2, "mga", 0);

    private static final String WHAT = "request";

    public ChargeRequest {
        if (amountMinor <= 0) {
            throw new MppProtocolException("request field 'amount' must be greater than zero");
        }
        if (amountMinor > MAX_AMOUNT_MINOR) {
            throw new MppProtocolException("request field 'amount' is above the maximum of " + MAX_AMOUNT_MINOR);
        }
        currency = normalizeCurrency(currency);
        Objects.requireNonNull(recipient, "recipient");
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(externalId, "externalId");
        Objects.requireNonNull(networkId, "networkId");
        paymentMethodTypes = List.copyOf(paymentMethodTypes);
        metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    }

    /** Decodes a challenge's {@code request} parameter: base64url (lenient) JSON. Unknown fields are ignored. */
    public static ChargeRequest decode(String requestParam) {
        if (requestParam == null || requestParam.isEmpty()) {
            throw new MppProtocolException("request parameter is empty");
        }
        if (requestParam.length() > MAX_ENCODED_CHARS) {
            throw new MppProtocolException("request parameter is longer than " + MAX_ENCODED_CHARS + " characters");
        }
        ObjectNode root = Json.readObject(Base64Url.decode(requestParam, "request parameter"), "request parameter", false);

        JsonNode amountNode = root.get("amount");
        if (amountNode == null || amountNode.isNull()) {
            throw new MppProtocolException("request field 'amount' is missing");
        }
        if (!amountNode.isTextual()) {
            throw new MppProtocolException("request field 'amount' must be a string of digits, got " + Json.kind(amountNode));
        }
        long amount = parseAmount(amountNode.textValue());

        JsonNode currencyNode = root.get("currency");
        if (currencyNode == null || currencyNode.isNull()) {
            throw new MppProtocolException("request field 'currency' is missing");
        }
        if (!currencyNode.isTextual()) {
            throw new MppProtocolException("request field 'currency' must be a string, got " + Json.kind(currencyNode));
        }

        Optional<String> networkId = Optional.empty();
        List<String> types = List.of();
        Map<String, String> metadata = Map.of();
        JsonNode details = root.get("methodDetails");
        if (details != null && !details.isNull()) {
            if (!details.isObject()) {
                throw new MppProtocolException("request field 'methodDetails' must be an object, got " + Json.kind(details));
            }
            networkId = optionalString(details, "networkId", "methodDetails.networkId");
            types = stringList(details.get("paymentMethodTypes"), "methodDetails.paymentMethodTypes");
            metadata = stringMap(details.get("metadata"), "methodDetails.metadata");
        }

        return new ChargeRequest(
                amount,
                currencyNode.textValue(),
                optionalString(root, "recipient", "recipient"),
                optionalString(root, "description", "description"),
                optionalString(root, "externalId", "externalId"),
                networkId,
                types,
                metadata);
    }

    /**
     * Parses an amount in minor units: ASCII digits only (no sign, no decimals, no exponent, no spaces),
     * at most {@value #MAX_AMOUNT_DIGITS} digits, greater than zero.
     */
    public static long parseAmount(String amount) {
        if (amount == null || amount.isEmpty()) {
            throw new MppProtocolException("request field 'amount' is empty");
        }
        if (amount.length() > MAX_AMOUNT_DIGITS) {
            throw new MppProtocolException("request field 'amount' has more than " + MAX_AMOUNT_DIGITS + " characters");
        }
        long value = 0;
        for (int i = 0; i < amount.length(); i++) {
            char c = amount.charAt(i);
            if (c < '0' || c > '9') {
                throw new MppProtocolException("request field 'amount' must be digits only (minor units), got '" + amount + "'");
            }
            value = value * 10 + (c - '0');
        }
        if (value == 0) {
            throw new MppProtocolException("request field 'amount' must be greater than zero");
        }
        return value;
    }

    /** Digits after the decimal point in Stripe's minor unit for {@code currency} (usd 2, jpy 0, kwd 3). */
    public static int fractionDigits(String currency) {
        String code = normalizeCurrency(currency);
        Integer stripe = STRIPE_FRACTION_DIGITS.get(code);
        return stripe != null ? stripe : Currency.getInstance(code.toUpperCase(Locale.ROOT)).getDefaultFractionDigits();
    }

    public int fractionDigits() {
        return fractionDigits(currency);
    }

    /** The amount in major units, exact: 250 usd gives 2.50, 500 jpy gives 500. */
    public BigDecimal amountMajor() {
        return BigDecimal.valueOf(amountMinor, fractionDigits());
    }

    public Currency javaCurrency() {
        return Currency.getInstance(currency.toUpperCase(Locale.ROOT));
    }

    /** Lowercase ISO 4217 code with a minor unit; accepts upper case (the core draft's example sends "USD"). */
    static String normalizeCurrency(String currency) {
        if (currency == null) {
            throw new MppProtocolException("request field 'currency' is missing");
        }
        if (currency.length() != 3 || !isAsciiLetters(currency)) {
            throw new MppProtocolException("request field 'currency' must be a three-letter ISO 4217 code, got '"
                    + Json.truncate(currency) + "'");
        }
        String upper = currency.toUpperCase(Locale.ROOT);
        Currency known;
        try {
            known = Currency.getInstance(upper);
        } catch (IllegalArgumentException e) {
            throw new MppProtocolException("request field 'currency' is not a known ISO 4217 code: '" + currency + "'");
        }
        if (known.getDefaultFractionDigits() < 0) {
            throw new MppProtocolException("request field 'currency' '" + currency + "' has no minor unit");
        }
        return currency.toLowerCase(Locale.ROOT);
    }

    private static boolean isAsciiLetters(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z')) {
                return false;
            }
        }
        return true;
    }

    private static Optional<String> optionalString(JsonNode parent, String field, String path) {
        JsonNode node = parent.get(field);
        if (node == null || node.isNull()) {
            return Optional.empty();
        }
        if (!node.isTextual()) {
            throw new MppProtocolException(WHAT + " field '" + path + "' must be a string, got " + Json.kind(node));
        }
        return Optional.of(node.textValue());
    }

    private static List<String> stringList(JsonNode node, String path) {
        if (node == null || node.isNull()) {
            return List.of();
        }
        if (!node.isArray()) {
            throw new MppProtocolException(WHAT + " field '" + path + "' must be an array of strings, got " + Json.kind(node));
        }
        List<String> list = new ArrayList<>();
        for (JsonNode item : node) {
            if (!item.isTextual()) {
                throw new MppProtocolException(WHAT + " field '" + path + "' must contain only strings, found " + Json.kind(item));
            }
            list.add(item.textValue());
        }
        return list;
    }

    /** Stripe metadata values are strings; numbers and booleans are taken as their text. */
    private static Map<String, String> stringMap(JsonNode node, String path) {
        if (node == null || node.isNull()) {
            return Map.of();
        }
        if (!node.isObject()) {
            throw new MppProtocolException(WHAT + " field '" + path + "' must be an object, got " + Json.kind(node));
        }
        Map<String, String> map = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            JsonNode value = e.getValue();
            if (value.isTextual()) {
                map.put(e.getKey(), value.textValue());
            } else if (value.isNumber() || value.isBoolean()) {
                map.put(e.getKey(), value.asText());
            } else {
                throw new MppProtocolException(WHAT + " field '" + path + "." + e.getKey() + "' must be a string, got " + Json.kind(value));
            }
        }
        return map;
    }
}
