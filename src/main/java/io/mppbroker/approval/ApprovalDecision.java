package io.mppbroker.approval;

import java.math.BigDecimal;

/** What an approver answered. {@code maxAmount} caps what the broker may pay on a fresh challenge. */
public record ApprovalDecision(Verdict verdict, String note, BigDecimal maxAmount) {

    public enum Verdict { APPROVE, DENY }
}
