package io.mppbroker.payment;

/** How the payment came to the broker. */
public enum PaymentKind {
    /** {@code POST /v1/payments}: the broker fetched the seller's resource and paid its challenge. */
    FETCH,
    /**
     * The SPT drop-in ({@code POST /stripe/v1/shared_payment/issued_tokens}): an mppx client asked the broker for a
     * token and pays the seller itself. There is no seller request to replay, so an approval never resumes it in the
     * background: the agent's retry collects the token.
     */
    SPT_MINT
}
