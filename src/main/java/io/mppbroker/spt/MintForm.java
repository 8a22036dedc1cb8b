package io.mppbroker.spt;

import io.mppbroker.payment.MintCommand;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads the form an mppx client (or any Stripe SDK) posts to mint a Shared Payment Token, with Stripe's parameter
 * names and Stripe's wording for what is wrong. {@code payment_method} is accepted and not used: the broker pays
 * with the project's own payment method, which the agent never holds. Agent metadata is accepted and not forwarded.
 */
public final class MintForm {

    /** The Stripe paths the drop-in answers (relative to /v1/). */
    public static final String ISSUED_TOKENS = "shared_payment/issued_tokens";
    public static final String GRANTED_TOKENS = "test_helpers/shared_payment/granted_tokens";

    static final String CURRENCY = "usage_limits[currency]";
    static final String MAX_AMOUNT = "usage_limits[max_amount]";
    static final String EXPIRES_AT = "usage_limits[expires_at]";
    static final String PROFILE = "seller_details[network_business_profile]";
    static final String NETWORK_ID = "seller_details[network_id]";

    private static final Set<String> KNOWN = Set.of("payment_method", "customer", CURRENCY, MAX_AMOUNT, EXPIRES_AT,
            PROFILE, NETWORK_ID, "seller_details[external_id]");
    private static final Pattern KEY = Pattern.compile("(metadata|shared_metadata)\\[[^\\[\\]]{1,40}]|expand\\[[0-9]{0,3}]");
    private static final Pattern CURRENCY_CODE = Pattern.compile("[a-z]{3}");
    private static final Pattern INTEGER = Pattern.compile("[0-9]{1,15}");
    private static final Pattern SELLER = Pattern.compile("[A-Za-z0-9_]{1,255}");
    private static final int MAX_BODY = 16 * 1024;

    private MintForm() {}

    /**
     * @param maxLifetime tokens expire at the requested time, or this long after now if that is sooner (or none was asked)
     * @throws StripeError 400 with the offending parameter
     */
    public static MintCommand parse(String endpoint, byte[] body, Instant now, Duration maxLifetime) {
        Map<String, String> form = decode(body);
        for (String key : form.keySet()) {
            if (!KNOWN.contains(key) && !KEY.matcher(key).matches()) {
                throw StripeError.invalid("parameter_unknown", key, "Received unknown parameter: " + key);
            }
        }
        String currency = required(form, CURRENCY).toLowerCase(Locale.ROOT);
        if (!CURRENCY_CODE.matcher(currency).matches()) {
            throw StripeError.invalid("parameter_invalid_string", CURRENCY, "Invalid currency: " + currency);
        }
        long maxAmount = integer(form, MAX_AMOUNT, required(form, MAX_AMOUNT));
        if (maxAmount < 1) {
            throw StripeError.invalid("parameter_invalid_integer", MAX_AMOUNT, "This value must be greater than or equal to 1.");
        }
        Instant latest = now.plus(maxLifetime);
        Instant expires = latest;
        if (form.containsKey(EXPIRES_AT)) {
            Instant asked = Instant.ofEpochSecond(integer(form, EXPIRES_AT, form.get(EXPIRES_AT)));
            if (!asked.isAfter(now)) {
                throw StripeError.invalid("parameter_invalid_integer", EXPIRES_AT, EXPIRES_AT + " must be in the future.");
            }
            expires = asked.isBefore(latest) ? asked : latest;
        }
        String profile = form.containsKey(PROFILE) ? form.get(PROFILE) : form.get(NETWORK_ID);
        if (form.containsKey(PROFILE) && form.containsKey(NETWORK_ID) && !form.get(PROFILE).equals(form.get(NETWORK_ID))) {
            throw StripeError.invalid("parameter_invalid_string", NETWORK_ID,
                    "seller_details[network_business_profile] and seller_details[network_id] name different sellers.");
        }
        if (profile == null || profile.isEmpty()) {
            throw StripeError.invalid("parameter_missing", "seller_details", "Missing required param: seller_details. "
                    + "The broker decides by seller: send seller_details[network_business_profile] (or [network_id]).");
        }
        if (!SELLER.matcher(profile).matches()) {
            throw StripeError.invalid("parameter_invalid_string", form.containsKey(PROFILE) ? PROFILE : NETWORK_ID,
                    "Invalid seller network profile: letters, digits and underscores only.");
        }
        return new MintCommand(maxAmount, currency, profile, expires, endpoint);
    }

    private static Map<String, String> decode(byte[] body) {
        if (body == null || body.length == 0) {
            throw StripeError.invalid("parameter_missing", CURRENCY, "Missing required param: " + CURRENCY + ".");
        }
        if (body.length > MAX_BODY) {
            throw StripeError.invalid("request_too_large", null, "The request body is larger than " + MAX_BODY + " bytes.");
        }
        Map<String, String> form = new LinkedHashMap<>();
        for (String pair : new String(body, StandardCharsets.UTF_8).split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String key;
            String value;
            try {
                key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw StripeError.invalid("parameter_invalid_string", null, "The request body is not valid form encoding.");
            }
            if (form.put(key, value) != null) {
                throw StripeError.invalid("parameter_invalid_string", key, "Parameter " + key + " was given more than once.");
            }
        }
        return form;
    }

    private static String required(Map<String, String> form, String name) {
        String value = form.get(name);
        if (value == null || value.isEmpty()) {
            throw StripeError.invalid("parameter_missing", name, "Missing required param: " + name + ".");
        }
        return value;
    }

    private static long integer(Map<String, String> form, String name, String value) {
        if (!INTEGER.matcher(value).matches()) {
            throw StripeError.invalid("parameter_invalid_integer", name, "Invalid integer: " + value);
        }
        return Long.parseLong(value);
    }
}
