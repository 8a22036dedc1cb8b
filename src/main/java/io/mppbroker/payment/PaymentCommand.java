package io.mppbroker.payment;

import java.util.Map;

/** The body of {@code POST /v1/payments}: what to fetch and why. */
public record PaymentCommand(String task, String purpose, FetchRequest request) {

    /** {@code body} is sent as UTF-8 text; binary bodies go in {@code bodyBase64}. At most one of the two. */
    public record FetchRequest(String method, String url, Map<String, String> headers, String body, String bodyBase64) {}
}
