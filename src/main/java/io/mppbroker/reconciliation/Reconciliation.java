package io.mppbroker.reconciliation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mppbroker.ledger.Money;
import io.mppbroker.reconciliation.ExternalCharges.ExternalCharge;
import io.mppbroker.reconciliation.ReconciliationReport.Approver;
import io.mppbroker.reconciliation.ReconciliationReport.ChargeRow;
import io.mppbroker.reconciliation.ReconciliationReport.Discrepancy;
import io.mppbroker.reconciliation.ReconciliationReport.ExternalSummary;
import io.mppbroker.reconciliation.ReconciliationReport.Total;
import io.mppbroker.reconciliation.ReconciliationReport.Totals;
import java.math.BigDecimal;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Builds the reconciliation report from the database with plain JDBC, so the broker's API and the offline
 * {@code reconcile} command read exactly the same way. The caller gives a connection; all reads run in one
 * read-only REPEATABLE READ transaction, so the report is one consistent snapshot even while payments go on.
 * <p>
 * A charge belongs to the window by its charge time: when its token was minted (the seller charges it within the
 * seller timeout), or its last change when it has no token.
 */
public final class Reconciliation {

    /** The projects (at least one) and the window [from, to); null ends are open. */
    public record Scope(List<String> projects, Instant from, Instant to) {
        public Scope {
            projects = List.copyOf(projects);
            if (projects.isEmpty()) {
                throw new IllegalArgumentException("a report covers at least one project");
            }
            if (from != null && to != null && !from.isBefore(to)) {
                throw new IllegalArgumentException("from must be before to");
            }
        }
    }

    static final String BASIS_HUMAN = "human";
    static final String BASIS_POLICY_RULE = "policy_rule";
    static final String BASIS_AUTONOMOUS = "autonomous";
    static final String BASIS_NONE = "none";
    private static final String GRANT_PREFIX = "grant:";
    private static final Duration EXPORT_SLACK = Duration.ofDays(1);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A payment whose money moved or may have moved. */
    private static final String IS_CHARGE = "(p.status IN ('PAID', 'PAID_UNDELIVERED', 'CHARGED_NOT_DELIVERED')"
            + " OR p.receipt_reference IS NOT NULL OR coalesce(p.spt_amount_captured_minor, 0) > 0)";
    private static final String CHARGED_AT = "coalesce(p.spt_minted_at, p.updated_at)";

    private Reconciliation() {}

    /** Every project that has payments: what the offline command covers when no project is named. */
    public static List<String> projects(Connection connection) throws SQLException {
        List<String> projects = new ArrayList<>();
        try (PreparedStatement s = connection.prepareStatement("SELECT DISTINCT project FROM payment ORDER BY project");
             ResultSet rs = s.executeQuery()) {
            while (rs.next()) {
                projects.add(rs.getString(1));
            }
        }
        return projects;
    }

    public static ReconciliationReport build(Connection connection, Scope scope, List<ExternalCharge> external,
                                             Instant now) throws SQLException {
        boolean autoCommit = connection.getAutoCommit();
        boolean readOnly = connection.isReadOnly();
        int isolation = connection.getTransactionIsolation();
        connection.setAutoCommit(false);
        connection.setReadOnly(true);
        connection.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
        try {
            ReconciliationReport report = new Builder(connection, scope, now).build(external);
            connection.commit();
            return report;
        } catch (SQLException | RuntimeException e) {
            connection.rollback();
            throw e;
        } finally {
            connection.setTransactionIsolation(isolation);
            connection.setReadOnly(readOnly);
            connection.setAutoCommit(autoCommit);
        }
    }

    /** One charge as read from the database, before it becomes a row. */
    private record Charge(String paymentId, String project, String agent, String task, String seller, String status,
                          BigDecimal amount, String currency, String receiptReference, String receiptJson, String spt,
                          String sptState, Long capturedMinor, Instant sptCheckedAt, BigDecimal approvedMax,
                          Instant requestedAt, Instant chargedAt, String decisionRef, String decisionId,
                          String decisionPayment, String tier, String basis, String rule, String policyVersion,
                          String decidedBy, BigDecimal decisionAmount, String decisionCurrency, Instant decidedAt,
                          BigDecimal reservationAmount, String reservationCurrency, String observedTier,
                          String observedRule) {

        /**
         * The decision exists, is this payment's own, and allowed paying: a human, the policy's auto tier, or the
         * broker itself in observe mode (basis {@code autonomous}, with the policy's own verdict kept as observed).
         */
        boolean authorized() {
            return decisionId != null && paymentId.equals(decisionPayment)
                    && ("human".equals(basis) || ("policy".equals(basis) || "autonomous".equals(basis)) && "AUTO".equals(tier));
        }

        String reportBasis() {
            if (!authorized()) {
                return BASIS_NONE;
            }
            if ("human".equals(basis)) {
                return BASIS_HUMAN;
            }
            return rule != null && rule.startsWith(GRANT_PREFIX) ? BASIS_POLICY_RULE : BASIS_AUTONOMOUS;
        }
    }

    private static final class Builder {
        private final Connection c;
        private final Scope scope;
        private final Instant now;
        private final List<Discrepancy> discrepancies = new ArrayList<>();
        private final Map<String, List<String>> kindsByPayment = new HashMap<>();

        Builder(Connection c, Scope scope, Instant now) {
            this.c = c;
            this.scope = scope;
            this.now = now;
        }

        ReconciliationReport build(List<ExternalCharge> external) throws SQLException {
            List<Charge> charges = charges();
            Map<String, List<Approver>> approvers = approvers(charges);
            Set<String> paidTwice = decisionsPaidTwice(charges);
            for (Charge ch : charges) {
                if (!ch.authorized() && !paidTwice.contains(ch.decisionRef())) {
                    flag(DiscrepancyKind.CHARGE_WITHOUT_DECISION, ch, withoutDecision(ch));
                }
                amountMismatch(ch).ifPresent(detail -> flag(DiscrepancyKind.AMOUNT_MISMATCH, ch, detail));
                if (ch.receiptReference() != null && ch.spt() == null) {
                    flag(DiscrepancyKind.RECEIPT_WITHOUT_SPT, ch, "receipt " + ch.receiptReference()
                            + " is recorded but the broker never minted a payment token for this payment");
                }
            }
            tokensWithoutReceipt();
            ExternalSummary summary = external == null ? null : joinExternal(charges, external);
            List<ChargeRow> rows = charges.stream().map(ch -> row(ch, approvers.getOrDefault(ch.paymentId(), List.of())))
                    .toList();
            return new ReconciliationReport(now.toString(), scope.projects(),
                    scope.from() == null ? null : scope.from().toString(),
                    scope.to() == null ? null : scope.to().toString(),
                    rows, totals(charges), List.copyOf(discrepancies), summary);
        }

        // ---- reading ----------------------------------------------------------------------------------

        private String window(String column) {
            return (scope.from() == null ? "" : " AND " + column + " >= ?") + (scope.to() == null ? "" : " AND " + column + " < ?");
        }

        private int bindScope(PreparedStatement s, int index) throws SQLException {
            s.setArray(index++, texts(scope.projects()));
            if (scope.from() != null) {
                s.setObject(index++, OffsetDateTime.ofInstant(scope.from(), ZoneOffset.UTC));
            }
            if (scope.to() != null) {
                s.setObject(index++, OffsetDateTime.ofInstant(scope.to(), ZoneOffset.UTC));
            }
            return index;
        }

        private Array texts(Collection<String> values) throws SQLException {
            return c.createArrayOf("text", values.toArray());
        }

        private List<Charge> charges() throws SQLException {
            String sql = """
                    SELECT p.id, p.project, p.agent, p.task, p.seller_host, p.status, p.amount, p.currency,
                           p.receipt_reference, p.receipt::text, p.spt_id, p.spt_state, p.spt_amount_captured_minor,
                           p.spt_checked_at, p.approved_max_amount, p.created_at, %s AS charged_at, p.decision_id,
                           d.id, d.payment_id, d.tier, d.basis, d.rule, d.policy_version, d.decided_by, d.amount,
                           d.currency, d.created_at, r.amount, r.currency, d.observed_tier, d.observed_rule
                      FROM payment p
                      LEFT JOIN decision d ON d.id = p.decision_id
                      LEFT JOIN budget_reservation r ON r.payment_id = p.id
                     WHERE %s AND p.project = ANY(?) %s
                     ORDER BY charged_at, p.id
                    """.formatted(CHARGED_AT, IS_CHARGE, window(CHARGED_AT));
            List<Charge> charges = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement(sql)) {
                bindScope(s, 1);
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        charges.add(new Charge(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                                rs.getString(5), rs.getString(6), rs.getBigDecimal(7), rs.getString(8), rs.getString(9),
                                rs.getString(10), rs.getString(11), rs.getString(12), longOrNull(rs, 13), instant(rs, 14),
                                rs.getBigDecimal(15), instant(rs, 16), instant(rs, 17), rs.getString(18), rs.getString(19),
                                rs.getString(20), rs.getString(21), rs.getString(22), rs.getString(23), rs.getString(24),
                                rs.getString(25), rs.getBigDecimal(26), rs.getString(27), instant(rs, 28),
                                rs.getBigDecimal(29), rs.getString(30), rs.getString(31), rs.getString(32)));
                    }
                }
            }
            return charges;
        }

        /** Who approved each human charge (the approving votes), and who granted the rule of each policy_rule charge. */
        private Map<String, List<Approver>> approvers(List<Charge> charges) throws SQLException {
            Map<String, List<Approver>> result = new HashMap<>();
            List<String> human = charges.stream().filter(ch -> BASIS_HUMAN.equals(ch.reportBasis())).map(Charge::paymentId).toList();
            if (!human.isEmpty()) {
                String sql = """
                        SELECT a.payment_id, coalesce(v.approver, a.decided_by), coalesce(v.via, a.decided_via),
                               coalesce(v.created_at, a.decided_at)
                          FROM approval a
                          LEFT JOIN approval_vote v ON v.approval_id = a.id AND v.verdict = 'APPROVE'
                         WHERE a.payment_id = ANY(?) AND a.status = 'APPROVED'
                         ORDER BY 4, 2
                        """;
                try (PreparedStatement s = c.prepareStatement(sql)) {
                    s.setArray(1, texts(human));
                    try (ResultSet rs = s.executeQuery()) {
                        while (rs.next()) {
                            result.computeIfAbsent(rs.getString(1), k -> new ArrayList<>())
                                    .add(new Approver(rs.getString(2), rs.getString(3), text(instant(rs, 4))));
                        }
                    }
                }
                for (Charge ch : charges) {
                    if (BASIS_HUMAN.equals(ch.reportBasis()) && !result.containsKey(ch.paymentId()) && ch.decidedBy() != null) {
                        result.put(ch.paymentId(), List.of(new Approver(ch.decidedBy(), null, text(ch.decidedAt()))));
                    }
                }
            }
            Map<String, List<String>> byGrant = new HashMap<>();
            for (Charge ch : charges) {
                if (BASIS_POLICY_RULE.equals(ch.reportBasis())) {
                    byGrant.computeIfAbsent(ch.rule().substring(GRANT_PREFIX.length()), k -> new ArrayList<>()).add(ch.paymentId());
                }
            }
            if (!byGrant.isEmpty()) {
                try (PreparedStatement s = c.prepareStatement(
                        "SELECT id, created_by, created_at FROM policy_overlay WHERE id = ANY(?)")) {
                    s.setArray(1, texts(byGrant.keySet()));
                    try (ResultSet rs = s.executeQuery()) {
                        while (rs.next()) {
                            Approver grantor = new Approver(rs.getString(2), "grant", text(instant(rs, 3)));
                            for (String paymentId : byGrant.get(rs.getString(1))) {
                                result.put(paymentId, List.of(grantor));
                            }
                        }
                    }
                }
            }
            return result;
        }

        /**
         * Decisions of this report's charges that authorized more than one charge, wherever the other charges are
         * (another window, even another payment's row pointing at it).
         */
        private Set<String> decisionsPaidTwice(List<Charge> charges) throws SQLException {
            Set<String> refs = new HashSet<>();
            charges.forEach(ch -> {
                if (ch.decisionRef() != null) {
                    refs.add(ch.decisionRef());
                }
            });
            Set<String> twice = new HashSet<>();
            if (refs.isEmpty()) {
                return twice;
            }
            String sql = """
                    SELECT p.decision_id, array_agg(p.id ORDER BY %s, p.id), array_agg(p.receipt_reference ORDER BY %s, p.id)
                      FROM payment p
                     WHERE p.decision_id = ANY(?) AND %s
                     GROUP BY p.decision_id
                    HAVING count(*) > 1
                     ORDER BY p.decision_id
                    """.formatted(CHARGED_AT, CHARGED_AT, IS_CHARGE);
            try (PreparedStatement s = c.prepareStatement(sql)) {
                s.setArray(1, texts(refs));
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        String decision = rs.getString(1);
                        String[] payments = (String[]) rs.getArray(2).getArray();
                        String[] receipts = (String[]) rs.getArray(3).getArray();
                        twice.add(decision);
                        List<String> described = new ArrayList<>();
                        for (int i = 0; i < payments.length; i++) {
                            described.add(payments[i] + (receipts[i] == null ? "" : " (" + receipts[i] + ")"));
                        }
                        String detail = "decision " + decision + " authorized " + payments.length + " charges: "
                                + String.join(", ", described);
                        // Reported once, on the first charge; every charge involved that is in the report names it.
                        discrepancies.add(new Discrepancy(DiscrepancyKind.DECISION_PAID_TWICE.wire(), payments[0], decision,
                                receipts[0], detail));
                        for (String payment : payments) {
                            kindsByPayment.computeIfAbsent(payment, k -> new ArrayList<>())
                                    .add(DiscrepancyKind.DECISION_PAID_TWICE.wire());
                        }
                    }
                }
            }
            return twice;
        }

        /**
         * Minted tokens with no receipt that are not known to be dead and unspent: charged but undelivered, still
         * awaiting settlement, or failed with a token that could not be revoked yet. Any final payment counts, not
         * only charges (a failed payment's live token can still be spent).
         */
        private void tokensWithoutReceipt() throws SQLException {
            String sql = """
                    SELECT p.id, p.decision_id, p.status, p.spt_state, p.spt_amount_captured_minor, p.currency, p.amount
                      FROM payment p
                     WHERE p.spt_id IS NOT NULL AND p.receipt_reference IS NULL
                       AND p.status NOT IN ('PROCESSING', 'APPROVED', 'PENDING_APPROVAL')
                       AND coalesce(p.spt_state, 'ACTIVE') NOT IN ('REVOKED', 'EXPIRED')
                       AND p.project = ANY(?) %s
                     ORDER BY %s, p.id
                    """.formatted(window(CHARGED_AT), CHARGED_AT);
            try (PreparedStatement s = c.prepareStatement(sql)) {
                bindScope(s, 1);
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        String status = rs.getString(3).toLowerCase(Locale.ROOT);
                        String state = rs.getString(4);
                        Long captured = longOrNull(rs, 5);
                        String currency = rs.getString(6);
                        String detail = "a payment token was minted for " + money(rs.getBigDecimal(7), currency)
                                + " and no receipt came back (payment " + status + "); token "
                                + ("USED".equals(state) && captured != null
                                ? "spent: Stripe shows " + money(minorToMajor(captured, currency), currency) + " captured"
                                : "USED".equals(state) ? "spent" : "may still be spent: awaiting settlement");
                        flag(DiscrepancyKind.SPT_WITHOUT_RECEIPT, rs.getString(1), rs.getString(2), null, detail);
                    }
                }
            }
        }

        // ---- checks -----------------------------------------------------------------------------------

        private static String withoutDecision(Charge ch) {
            if (ch.decisionRef() == null) {
                return "charged " + money(ch.amount(), ch.currency()) + " (" + lower(ch.status()) + ") with no decision recorded";
            }
            if (ch.decisionId() == null) {
                return "charged " + money(ch.amount(), ch.currency()) + " under decision " + ch.decisionRef() + ", which does not exist";
            }
            if (!ch.paymentId().equals(ch.decisionPayment())) {
                return "charged " + money(ch.amount(), ch.currency()) + " under decision " + ch.decisionId()
                        + ", which was made for payment " + ch.decisionPayment();
            }
            return "charged " + money(ch.amount(), ch.currency()) + " but its decision " + ch.decisionId() + " did not allow paying ("
                    + ch.basis() + ", tier " + lower(ch.tier()) + (ch.rule() == null ? "" : ", rule " + ch.rule()) + ")";
        }

        /**
         * The amounts each party recorded for one charge: the seller's challenge, the decision, the budget
         * reservation, the receipt (when the seller put an amount in it) and what Stripe shows captured (once
         * asked); and, for an approval with a cap, the cap.
         */
        private static Optional<String> amountMismatch(Charge ch) {
            Map<String, BigDecimal> amounts = new LinkedHashMap<>();
            amounts.put("challenge", ch.amount());
            if (ch.decisionId() != null && ch.decisionAmount() != null) {
                amounts.put("decision", ch.decisionAmount());
            }
            if (ch.reservationAmount() != null) {
                amounts.put("reservation", ch.reservationAmount());
            }
            receiptAmount(ch).ifPresent(a -> amounts.put("receipt", a));
            if (ch.sptCheckedAt() != null && ch.capturedMinor() != null) {
                amounts.put("stripe captured", minorToMajor(ch.capturedMinor(), ch.currency()));
            }
            List<String> problems = new ArrayList<>();
            BigDecimal first = null;
            boolean differ = false;
            for (BigDecimal a : amounts.values()) {
                if (a == null) {
                    continue;
                }
                if (first == null) {
                    first = a;
                } else if (first.compareTo(a) != 0) {
                    differ = true;
                }
            }
            if (differ) {
                List<String> parts = new ArrayList<>();
                amounts.forEach((k, v) -> parts.add(k + " " + (v == null ? "none" : Money.format(v, ch.currency()))));
                problems.add(String.join(", ", parts) + " " + ch.currency());
            }
            if (ch.approvedMax() != null && ch.amount() != null && ch.amount().compareTo(ch.approvedMax()) > 0) {
                problems.add("charged " + money(ch.amount(), ch.currency()) + " but approved up to "
                        + money(ch.approvedMax(), ch.currency()));
            }
            if (ch.decisionId() != null && ch.decisionCurrency() != null && !ch.decisionCurrency().equals(ch.currency())) {
                problems.add("decision in " + ch.decisionCurrency() + ", charge in " + ch.currency());
            }
            if (ch.reservationCurrency() != null && !ch.reservationCurrency().equals(ch.currency())) {
                problems.add("reservation in " + ch.reservationCurrency() + ", charge in " + ch.currency());
            }
            return problems.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", problems));
        }

        /** An {@code amount} the seller put in its receipt: digits are minor units as in MPP requests. */
        private static Optional<BigDecimal> receiptAmount(Charge ch) {
            if (ch.receiptJson() == null) {
                return Optional.empty();
            }
            try {
                JsonNode amount = JSON.readTree(ch.receiptJson()).get("amount");
                if (amount == null || amount.isNull()) {
                    return Optional.empty();
                }
                String text = amount.asText();
                if (text.matches("[0-9]{1,18}")) {
                    return Optional.of(minorToMajor(Long.parseLong(text), ch.currency()));
                }
                return Optional.of(new BigDecimal(text));
            } catch (Exception unreadable) {
                return Optional.empty();
            }
        }

        // ---- external export --------------------------------------------------------------------------

        private ExternalSummary joinExternal(List<Charge> charges, List<ExternalCharge> external) throws SQLException {
            Map<String, Charge> inReport = new HashMap<>();
            charges.forEach(ch -> {
                if (ch.receiptReference() != null) {
                    inReport.putIfAbsent(ch.receiptReference(), ch);
                }
            });
            Map<String, String[]> known = knownReferences(external);
            Set<String> matched = new HashSet<>();
            int matchedCount = 0;
            int outside = 0;
            int notAuthorized = 0;
            List<ExternalCharge> unmatched = new ArrayList<>();
            for (ExternalCharge e : external) {
                if (e.reference() == null) {
                    unmatched.add(e);
                    continue;
                }
                Charge ch = inReport.get(e.reference());
                String[] elsewhere = known.get(e.reference());
                if (ch != null) {
                    matched.add(ch.paymentId());
                    matchedCount++;
                    compareExternal(e, ch);
                } else if (elsewhere != null && scope.projects().contains(elsewhere[1])) {
                    matchedCount++; // a payment of the report's projects outside the window
                    compareExternal(e, elsewhere);
                } else if (elsewhere != null) {
                    outside++;
                } else {
                    unmatched.add(e);
                }
            }
            // Without a reference (card statements), or with one the broker never received (a charge whose receipt
            // was lost): match by amount, currency and day against the charges not matched yet.
            for (ExternalCharge e : unmatched) {
                Optional<Charge> candidate = byAmountAndDay(e, charges, matched);
                if (candidate.isPresent()) {
                    matched.add(candidate.get().paymentId());
                    matchedCount++;
                } else {
                    notAuthorized++;
                    String where = e.reference() != null ? e.reference() : "line " + e.line();
                    discrepancies.add(new Discrepancy(DiscrepancyKind.EXTERNAL_CHARGE_NOT_AUTHORIZED.wire(), null, null,
                            e.reference(), "export " + where + ": " + money(e.amount(), e.currency())
                            + (e.created() == null ? "" : " on " + e.created())
                            + (e.merchant() == null ? "" : " at " + e.merchant())
                            + " matches no payment the broker authorized"));
                }
            }
            Instant first = external.stream().map(ExternalCharge::created).filter(Objects::nonNull).min(Comparator.naturalOrder()).orElse(null);
            Instant last = external.stream().map(ExternalCharge::created).filter(Objects::nonNull).max(Comparator.naturalOrder()).orElse(null);
            int missing = 0;
            for (Charge ch : charges) {
                if (matched.contains(ch.paymentId())) {
                    continue;
                }
                // Only charges within the export's dates can be missing from it.
                if (first != null && (ch.chargedAt().isBefore(first.minus(EXPORT_SLACK)) || ch.chargedAt().isAfter(last.plus(EXPORT_SLACK)))) {
                    continue;
                }
                missing++;
                flag(DiscrepancyKind.CHARGE_MISSING_FROM_EXPORT, ch, "the broker recorded " + money(ch.amount(), ch.currency())
                        + " (" + lower(ch.status()) + (ch.receiptReference() == null ? "" : ", " + ch.receiptReference())
                        + ") on " + ch.chargedAt() + "; the export has no such charge"
                        + ("CHARGED_NOT_DELIVERED".equals(ch.status()) ? " (it may never have been charged)" : ""));
            }
            return new ExternalSummary(external.size(), matchedCount, outside, notAuthorized, missing, text(first), text(last));
        }

        /** Broker payments (any project, any time) carrying the export's references: id, project, amount, currency. */
        private Map<String, String[]> knownReferences(List<ExternalCharge> external) throws SQLException {
            Set<String> refs = new HashSet<>();
            external.forEach(e -> {
                if (e.reference() != null) {
                    refs.add(e.reference());
                }
            });
            Map<String, String[]> known = new HashMap<>();
            if (refs.isEmpty()) {
                return known;
            }
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT receipt_reference, id, project, amount::text, currency FROM payment WHERE receipt_reference = ANY(?)")) {
                s.setArray(1, texts(refs));
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        known.putIfAbsent(rs.getString(1), new String[] {rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5)});
                    }
                }
            }
            return known;
        }

        private void compareExternal(ExternalCharge e, Charge ch) {
            if (!sameAmount(e, ch.amount(), ch.currency())) {
                flag(DiscrepancyKind.EXTERNAL_AMOUNT_MISMATCH, ch, "export line " + e.line() + " has "
                        + money(e.amount(), e.currency() == null ? ch.currency() : e.currency()) + " for " + e.reference()
                        + "; the broker authorized " + money(ch.amount(), ch.currency()));
            }
        }

        private void compareExternal(ExternalCharge e, String[] payment) {
            BigDecimal amount = payment[2] == null ? null : new BigDecimal(payment[2]);
            if (!sameAmount(e, amount, payment[3])) {
                flag(DiscrepancyKind.EXTERNAL_AMOUNT_MISMATCH, payment[0], null, e.reference(), "export line " + e.line()
                        + " has " + money(e.amount(), e.currency() == null ? payment[3] : e.currency()) + " for "
                        + e.reference() + "; the broker authorized " + money(amount, payment[3]));
            }
        }

        private static boolean sameAmount(ExternalCharge e, BigDecimal amount, String currency) {
            return amount != null && e.amount().compareTo(amount) == 0
                    && (e.currency() == null || e.currency().equals(currency));
        }

        private static Optional<Charge> byAmountAndDay(ExternalCharge e, List<Charge> charges, Set<String> taken) {
            List<Charge> fitting = charges.stream()
                    .filter(ch -> !taken.contains(ch.paymentId()))
                    .filter(ch -> e.reference() == null || ch.receiptReference() == null)
                    .filter(ch -> ch.amount() != null && ch.amount().compareTo(e.amount()) == 0)
                    .filter(ch -> e.currency() == null || e.currency().equals(ch.currency()))
                    .filter(ch -> e.created() == null
                            || Duration.between(ch.chargedAt(), e.created()).abs().compareTo(EXPORT_SLACK) <= 0)
                    .toList();
            if (e.merchant() != null) {
                String merchant = e.merchant().toLowerCase(Locale.ROOT);
                Optional<Charge> named = fitting.stream()
                        .filter(ch -> ch.seller() != null && merchant.contains(ch.seller().toLowerCase(Locale.ROOT)))
                        .findFirst();
                if (named.isPresent()) {
                    return named;
                }
            }
            return fitting.stream().findFirst();
        }

        // ---- output -----------------------------------------------------------------------------------

        private void flag(DiscrepancyKind kind, Charge ch, String detail) {
            flag(kind, ch.paymentId(), ch.decisionRef(), ch.receiptReference(), detail);
        }

        private void flag(DiscrepancyKind kind, String paymentId, String decisionId, String receiptReference, String detail) {
            discrepancies.add(new Discrepancy(kind.wire(), paymentId, decisionId, receiptReference, detail));
            if (paymentId != null) {
                kindsByPayment.computeIfAbsent(paymentId, k -> new ArrayList<>()).add(kind.wire());
            }
        }

        private ChargeRow row(Charge ch, List<Approver> approvers) {
            boolean authorized = ch.authorized();
            return new ChargeRow(ch.paymentId(), ch.project(), ch.agent(), ch.task(), ch.seller(), lower(ch.status()),
                    Money.format(ch.amount(), ch.currency()), ch.currency(), ch.receiptReference(), shownSpt(ch),
                    lower(ch.sptState()), ch.decisionRef(), ch.reportBasis(), authorized ? lower(ch.tier()) : null,
                    authorized ? ch.rule() : null, approvers, ch.decisionId() == null ? null : ch.policyVersion(),
                    text(ch.requestedAt()), text(ch.decidedAt()), text(ch.chargedAt()),
                    kindsByPayment.getOrDefault(ch.paymentId(), List.of()).stream().distinct().toList(),
                    lower(ch.observedTier()), ch.observedRule());
        }

        /** A token that may still be spent is shown by its last characters only; a dead one in full, to look it up. */
        private static String shownSpt(Charge ch) {
            if (ch.spt() == null) {
                return null;
            }
            if (ch.sptState() == null || "ACTIVE".equals(ch.sptState())) {
                return "spt_…" + ch.spt().substring(Math.max(0, ch.spt().length() - 4));
            }
            return ch.spt();
        }

        private static Totals totals(List<Charge> charges) {
            return new Totals(
                    total(charges, ch -> "all"),
                    total(charges, Charge::project),
                    total(charges, ch -> ch.project() + "/" + ch.agent()),
                    total(charges, ch -> ch.seller() == null ? "(unknown)" : ch.seller()),
                    total(charges, Charge::reportBasis));
        }

        private static List<Total> total(List<Charge> charges, Function<Charge, String> key) {
            Map<List<String>, BigDecimal> sums = new TreeMap<>(Comparator.<List<String>, String>comparing(k -> k.get(0))
                    .thenComparing(k -> k.get(1)));
            Map<List<String>, Integer> counts = new HashMap<>();
            for (Charge ch : charges) {
                List<String> k = List.of(key.apply(ch), ch.currency() == null ? "" : ch.currency());
                sums.merge(k, ch.amount() == null ? BigDecimal.ZERO : ch.amount(), BigDecimal::add);
                counts.merge(k, 1, Integer::sum);
            }
            List<Total> totals = new ArrayList<>();
            sums.forEach((k, sum) -> totals.add(new Total(k.get(0), k.get(1), counts.get(k), Money.format(sum, k.get(1)))));
            return totals;
        }
    }

    // ---- small helpers --------------------------------------------------------------------------------

    static BigDecimal minorToMajor(long minor, String currency) {
        return BigDecimal.valueOf(minor, currency == null ? 2 : ExternalCharges.safeDigits(currency));
    }

    private static String money(BigDecimal amount, String currency) {
        if (amount == null) {
            return "no amount";
        }
        return Money.format(amount, currency == null ? "usd" : currency) + (currency == null ? "" : " " + currency);
    }

    private static String lower(String value) {
        return value == null ? null : value.toLowerCase(Locale.ROOT);
    }

    private static String text(Instant instant) {
        return instant == null ? null : instant.toString();
    }

    private static Instant instant(ResultSet rs, int column) throws SQLException {
        OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }

    private static Long longOrNull(ResultSet rs, int column) throws SQLException {
        long value = rs.getLong(column);
        return rs.wasNull() ? null : value;
    }
}
