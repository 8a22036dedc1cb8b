package io.mppbroker.seller;

/**
 * The seller could not be reached or did not answer in time. {@code requestSent} tells whether the
 * request may have reached the seller: after a credential was sent, that means the money may have moved.
 */
public class SellerUnreachable extends Exception {

    private final boolean requestSent;

    public SellerUnreachable(String message, boolean requestSent, Throwable cause) {
        super(message, cause);
        this.requestSent = requestSent;
    }

    public boolean requestSent() {
        return requestSent;
    }
}
