package io.mppbroker.payment;

import java.time.Instant;

/**
 * An mppx client's request for a Shared Payment Token (SPT drop-in), validated: the exact amount in minor units, the
 * currency, the seller's Stripe network profile (its identity for the policy) and when the token must expire.
 *
 * @param endpoint the Stripe path the agent called, e.g. {@code shared_payment/issued_tokens}, kept on the payment
 */
public record MintCommand(long amountMinor, String currency, String networkProfile, Instant expiresAt, String endpoint) {}
