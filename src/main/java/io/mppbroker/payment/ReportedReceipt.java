package io.mppbroker.payment;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A seller's receipt as an agent reports it ({@code POST /v1/payments/{id}/receipt}): the {@code Payment-Receipt}
 * header value as received, or its fields. {@code spt} names the payment by its token instead of its id.
 */
public record ReportedReceipt(
        String receipt,
        String reference,
        String method,
        String status,
        String timestamp,
        @JsonProperty("external_id") String externalId,
        String spt) {}
