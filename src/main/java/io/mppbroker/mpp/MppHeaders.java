package io.mppbroker.mpp;

/** Header names and values of the Payment HTTP authentication scheme (draft-httpauth-payment-00). */
public final class MppHeaders {

    /** Value of {@link #ACCEPT_PAYMENT_HEADER}: the broker only pays with Stripe one-time charges. */
    public static final String ACCEPT_PAYMENT = "stripe/charge";

    public static final String WWW_AUTHENTICATE_HEADER = "WWW-Authenticate";
    /** Default credential header; a challenge's {@code header} parameter may name another one. */
    public static final String AUTHORIZATION_HEADER = "Authorization";
    public static final String PAYMENT_RECEIPT_HEADER = "Payment-Receipt";
    public static final String ACCEPT_PAYMENT_HEADER = "Accept-Payment";

    /** Authentication scheme name, compared case-insensitively. */
    public static final String PAYMENT_SCHEME = "Payment";

    private MppHeaders() {
    }
}
