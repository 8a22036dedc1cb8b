package io.mppbroker.payment;

import java.security.SecureRandom;
import java.util.Base64;

/** Stripe-style prefixed random ids: pay_, dec_, apr_. */
public final class Ids {

    private static final SecureRandom RANDOM = new SecureRandom();

    private Ids() {}

    public static String next(String prefix) {
        byte[] bytes = new byte[15];
        RANDOM.nextBytes(bytes);
        return prefix + "_" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
