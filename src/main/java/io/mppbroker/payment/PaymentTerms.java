package io.mppbroker.payment;

import java.math.BigDecimal;

/**
 * What a payment is for, as the policy and the ledger see it: from a seller's challenge ({@link Offer#terms()}) or
 * from an mppx client's mint request (SPT drop-in, where the seller is known by its network profile only and
 * {@code challengeId} is the broker's own mint reference).
 */
public record PaymentTerms(String method, String intent, BigDecimal amount, long amountMinor, String currency,
                           String realm, String networkProfile, String challengeId) {}
