package io.mppbroker.ledger;

import java.math.BigDecimal;

/** What a project has already committed (reserved or captured) in each budget window. */
public record Spend(BigDecimal task, BigDecimal day, BigDecimal month) {}
