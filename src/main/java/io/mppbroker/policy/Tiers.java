package io.mppbroker.policy;

import java.math.BigDecimal;

/**
 * Amount thresholds in major units: {@code amount < autoBelow} is paid automatically, up to
 * {@code explicitAbove} one approver decides, above it explicit approval is needed, above {@code ceiling}
 * the payment is always denied. Invariant (checked by the loader): autoBelow <= explicitAbove <= ceiling.
 */
public record Tiers(BigDecimal autoBelow, BigDecimal explicitAbove, BigDecimal ceiling) {}
