package io.mppbroker.reconciliation;

import java.util.List;

/**
 * What was charged in a window, who authorized each charge and on what basis, the totals, and everything that
 * does not add up. Amounts are decimal strings in major units; times are RFC 3339 UTC. Serialized as it is for
 * {@code format=json} (snake_case).
 *
 * @param projects      the projects covered
 * @param from          start of the window (inclusive), null for no start
 * @param to            end of the window (exclusive), null for no end
 * @param charges       one row per charge, in charge time order
 * @param discrepancies every finding, charge rows name theirs too
 * @param external      what the joined external export contained; null without one
 */
public record ReconciliationReport(
        String generatedAt,
        List<String> projects,
        String from,
        String to,
        List<ChargeRow> charges,
        Totals totals,
        List<Discrepancy> discrepancies,
        ExternalSummary external) {

    /**
     * One charge: a payment whose money moved or may have moved (paid, paid_undelivered, charged_not_delivered, or
     * carrying a receipt or a token Stripe shows spent).
     *
     * @param spt           the token id; shortened to its last characters while the token may still be spent
     * @param basis         {@code human} (an approver approved it), {@code policy_rule} (paid automatically under a
     *                      standing grant an approver made), {@code autonomous} (paid automatically under the policy
     *                      file's tiers), or {@code none} (no authorizing decision found)
     * @param approvers     who approved it (human) or granted the rule (policy_rule), with when and how
     * @param requestedAt   when the agent asked
     * @param decidedAt     when the authorizing decision was made
     * @param chargedAt     when the token was minted (the charge follows within the seller timeout)
     * @param discrepancies the kinds found for this charge
     * @param observedTier  in observe mode, the tier enforcing would have given ({@code deny}, {@code ask}, …); the
     *                      difference observe mode shows. Null outside observe mode
     * @param observedRule  the policy rule behind {@code observedTier}
     */
    public record ChargeRow(
            String paymentId,
            String project,
            String agent,
            String task,
            String seller,
            String status,
            String amount,
            String currency,
            String receiptReference,
            String spt,
            String sptState,
            String decisionId,
            String basis,
            String tier,
            String rule,
            List<Approver> approvers,
            String policyVersion,
            String requestedAt,
            String decidedAt,
            String chargedAt,
            List<String> discrepancies,
            String observedTier,
            String observedRule) {}

    /** {@code via}: api, slack, telegram, dashboard, or grant for a standing grant. */
    public record Approver(String approver, String via, String at) {}

    /** Sums per key and currency; amounts of different currencies are never added together. */
    public record Totals(List<Total> overall, List<Total> byProject, List<Total> byAgent, List<Total> bySeller,
                         List<Total> byBasis) {}

    public record Total(String key, String currency, int charges, String amount) {}

    /**
     * A finding. {@code kind} is one of {@link DiscrepancyKind#wire()}; the ids say where to look, {@code detail}
     * says what differs, with the numbers.
     */
    public record Discrepancy(String kind, String paymentId, String decisionId, String receiptReference,
                              String detail) {}

    /**
     * @param rows            charges in the export
     * @param matched         of those, matched to a broker payment of the report's projects
     * @param outsideScope    matched to a broker payment of a project the report does not cover
     * @param notAuthorized   charges no broker payment authorized
     * @param missingFromExport broker charges within the export's dates that the export does not contain
     */
    public record ExternalSummary(int rows, int matched, int outsideScope, int notAuthorized, int missingFromExport,
                                  String firstCharge, String lastCharge) {}
}
