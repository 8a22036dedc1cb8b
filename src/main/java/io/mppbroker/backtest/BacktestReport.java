package io.mppbroker.backtest;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * What a candidate policy would have changed over recorded decisions. Amounts are decimal strings in major
 * units of {@code currency} (the candidate's). A change can be counted under several headings: an ASK that
 * becomes AUTO is both newly auto-approved and an ask removed. "Asks" are all tiers a human decides (ask,
 * explicit, recurring, over_budget).
 */
public record BacktestReport(
        String project,
        String candidate,
        String candidateVersion,
        String currency,
        String since,
        String until,
        int decisions,
        Bucket unchanged,
        Bucket newlyAutoApproved,
        Bucket noLongerAutomatic,
        Bucket asksAdded,
        Bucket asksRemoved,
        Bucket denialsAdded,
        Bucket denialsRemoved,
        Bucket humanTierChanged,
        List<Change> changes,
        List<Skipped> skipped) {

    /** How many decisions, and their amounts summed. */
    public record Bucket(int count, String amount) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Verdict(String tier, String rule, String reason, String basis) {}

    public record Change(String paymentId, String decisionId, String decidedAt, String task, String seller,
                         String amount, Verdict recorded, Verdict candidate) {}

    /** A recorded payment the candidate cannot be compared on, and why. */
    public record Skipped(String paymentId, String reason) {}

    public int changed() {
        return decisions - unchanged.count();
    }
}
