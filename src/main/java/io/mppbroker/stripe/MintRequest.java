package io.mppbroker.stripe;

import java.time.Instant;
import java.util.Map;

/**
 * A Shared Payment Token capped at exactly what the seller challenged for, expiring with the challenge.
 * The idempotency key is derived from the payment and the challenge, so a retried mint returns the same token.
 */
public record MintRequest(
        String paymentMethod,
        String currency,
        long maxAmountMinor,
        Instant expiresAt,
        String networkProfile,
        String idempotencyKey,
        Map<String, String> metadata) {}
