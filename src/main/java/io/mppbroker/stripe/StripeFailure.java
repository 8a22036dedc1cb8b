package io.mppbroker.stripe;

/** Stripe refused or could not be reached. Messages are Stripe's own, which never echo keys or tokens. */
public class StripeFailure extends Exception {

    private final String code;
    private final int httpStatus;

    public StripeFailure(String code, int httpStatus, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
        this.httpStatus = httpStatus;
    }

    public String code() { return code; }
    public int httpStatus() { return httpStatus; }
}
