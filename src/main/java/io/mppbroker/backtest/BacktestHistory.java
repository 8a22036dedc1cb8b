package io.mppbroker.backtest;

import io.mppbroker.policy.ObserveMode;
import io.mppbroker.policy.Overlays;
import io.mppbroker.policy.ProjectPolicy;
import io.mppbroker.policy.RecurringRule;
import io.mppbroker.policy.SellerAllowance;
import io.mppbroker.policy.Tier;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Reads a project's recorded payments from the broker's PostgreSQL with plain JDBC (no broker running needed).
 *
 * <p>For every payment whose first decision falls in {@code [since, until)} it rebuilds the facts of that
 * decision. Spent-so-far is an approximation taken from the recorded ledger: the reservations of the project
 * created before the decision and not released by then (a released reservation counts until its
 * {@code updated_at}), summed per task, UTC day and UTC month exactly as the live ledger does. It is the money
 * that was actually committed, not what would have been committed under the candidate: a payment the candidate
 * would have refused still counts against later payments, and one it would have auto-approved but a human
 * refused does not. Similar recent payments are counted the same way with the candidate's {@code recurring}
 * rule. Approvers' revisions (task budgets, seller allowances) active at the decision's time are applied.
 */
public final class BacktestHistory {

    /** The decisions to replay, and the payments that cannot be replayed with why. */
    public record Loaded(List<RecordedDecision> decisions, List<BacktestReport.Skipped> skipped) {}

    private static final String FIRST_DECISIONS = """
            SELECT f.payment_id, f.id, f.created_at, f.tier, f.basis, f.rule, f.amount, f.currency,
                   f.observed_tier, f.observed_rule, p.task, p.seller_host, p.realm, p.network_profile
              FROM (SELECT DISTINCT ON (d.payment_id) d.*
                      FROM decision d JOIN payment p0 ON p0.id = d.payment_id
                     WHERE p0.project = ?
                     ORDER BY d.payment_id, d.created_at, d.id) f
              JOIN payment p ON p.id = f.payment_id
             WHERE f.created_at >= ? AND f.created_at < ?
             ORDER BY f.created_at, f.id
            """;

    private static final String SPENT_BEFORE = """
            SELECT coalesce(sum(amount) FILTER (WHERE task = ?), 0),
                   coalesce(sum(amount) FILTER (WHERE created_at >= ?), 0),
                   coalesce(sum(amount) FILTER (WHERE created_at >= ?), 0),
                   count(*) FILTER (WHERE seller_host = ? AND created_at >= ? AND amount BETWEEN ? AND ?)
              FROM budget_reservation
             WHERE project = ? AND payment_id <> ? AND created_at < ?
               AND (state <> 'RELEASED' OR updated_at > ?)
            """;

    private static final String OVERLAYS = """
            SELECT id, kind, task, seller_host, amount, expires_at, created_by, created_at, revoked_at
              FROM policy_overlay WHERE project = ?
            """;

    private BacktestHistory() {}

    public static Loaded read(Connection db, ProjectPolicy candidate, Instant since, Instant until) throws SQLException {
        List<Overlay> overlays = overlays(db, candidate.project());
        List<RecordedDecision> decisions = new ArrayList<>();
        List<BacktestReport.Skipped> skipped = new ArrayList<>();
        try (PreparedStatement first = db.prepareStatement(FIRST_DECISIONS);
             PreparedStatement spent = db.prepareStatement(SPENT_BEFORE)) {
            first.setString(1, candidate.project());
            first.setObject(2, utc(since));
            first.setObject(3, utc(until));
            try (ResultSet rs = first.executeQuery()) {
                while (rs.next()) {
                    String paymentId = rs.getString("payment_id");
                    String basis = rs.getString("basis");
                    BigDecimal amount = rs.getBigDecimal("amount");
                    String currency = rs.getString("currency");
                    boolean observed = ObserveMode.BASIS.equals(basis);
                    Optional<Tier> tier = tier(observed && rs.getString("observed_tier") != null
                            ? rs.getString("observed_tier") : rs.getString("tier"));
                    String rule = observed && rs.getString("observed_rule") != null ? rs.getString("observed_rule") : rs.getString("rule");
                    if (!"policy".equals(basis) && !observed) {
                        skipped.add(new BacktestReport.Skipped(paymentId, "its first decision has basis " + basis));
                    } else if (amount == null || currency == null) {
                        skipped.add(new BacktestReport.Skipped(paymentId, "refused before any amount was decided on ("
                                + rule + "): the seller's challenge could not be paid under any policy"));
                    } else if (tier.isEmpty()) {
                        skipped.add(new BacktestReport.Skipped(paymentId, "unknown recorded tier"));
                    } else {
                        Instant at = rs.getObject("created_at", OffsetDateTime.class).toInstant();
                        String task = rs.getString("task");
                        String host = rs.getString("seller_host");
                        Spent s = spent(spent, candidate, paymentId, task, host, amount, at);
                        decisions.add(new RecordedDecision(paymentId, rs.getString("id"), at, basis, tier.get(), rule,
                                task, host, rs.getString("realm"), Optional.ofNullable(rs.getString("network_profile")),
                                amount, currency, s.task(), s.day(), s.month(), s.similar(),
                                overlaysAt(overlays, task, host, at)));
                    }
                }
            }
        }
        return new Loaded(decisions, skipped);
    }

    private record Spent(BigDecimal task, BigDecimal day, BigDecimal month, int similar) {}

    private static Spent spent(PreparedStatement q, ProjectPolicy candidate, String paymentId, String task, String host,
                               BigDecimal amount, Instant at) throws SQLException {
        ZonedDateTime utc = at.atZone(ZoneOffset.UTC);
        RecurringRule r = candidate.recurring();
        q.setString(1, task);
        q.setObject(2, utc(utc.truncatedTo(ChronoUnit.DAYS).toInstant()));
        q.setObject(3, utc(utc.withDayOfMonth(1).truncatedTo(ChronoUnit.DAYS).toInstant()));
        q.setString(4, host);
        q.setObject(5, utc(at.minus(r.window())));
        q.setBigDecimal(6, amount.subtract(amount.multiply(r.amountTolerance())));
        q.setBigDecimal(7, amount.add(amount.multiply(r.amountTolerance())));
        q.setString(8, candidate.project());
        q.setString(9, paymentId);
        q.setObject(10, utc(at));
        q.setObject(11, utc(at));
        try (ResultSet rs = q.executeQuery()) {
            rs.next();
            return new Spent(rs.getBigDecimal(1), rs.getBigDecimal(2), rs.getBigDecimal(3), rs.getInt(4));
        }
    }

    private record Overlay(String id, String kind, String task, String sellerHost, BigDecimal amount, Instant expiresAt,
                           String createdBy, Instant createdAt, Instant revokedAt) {
        boolean activeAt(Instant t) {
            return !createdAt.isAfter(t) && expiresAt.isAfter(t) && (revokedAt == null || revokedAt.isAfter(t));
        }
    }

    private static List<Overlay> overlays(Connection db, String project) throws SQLException {
        List<Overlay> result = new ArrayList<>();
        try (PreparedStatement q = db.prepareStatement(OVERLAYS)) {
            q.setString(1, project);
            try (ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    OffsetDateTime revoked = rs.getObject("revoked_at", OffsetDateTime.class);
                    result.add(new Overlay(rs.getString("id"), rs.getString("kind"), rs.getString("task"),
                            rs.getString("seller_host"), rs.getBigDecimal("amount"),
                            rs.getObject("expires_at", OffsetDateTime.class).toInstant(), rs.getString("created_by"),
                            rs.getObject("created_at", OffsetDateTime.class).toInstant(),
                            revoked == null ? null : revoked.toInstant()));
                }
            }
        }
        return result;
    }

    /** The revisions the broker applied at {@code t}, chosen as {@code Revisions.forPayment} chooses them. */
    private static Overlays overlaysAt(List<Overlay> all, String task, String host, Instant t) {
        List<Overlay> active = all.stream().filter(o -> o.activeAt(t)).toList();
        Optional<Overlay> taskBudget = active.stream()
                .filter(o -> "TASK_BUDGET".equals(o.kind()) && o.task() != null && o.task().equals(task))
                .max(Comparator.comparing(Overlay::createdAt));
        List<SellerAllowance> allowances = active.stream()
                .filter(o -> "SELLER_ALLOWANCE".equals(o.kind()) && o.sellerHost() != null && o.sellerHost().equalsIgnoreCase(host))
                .map(o -> new SellerAllowance(o.id(), o.sellerHost(), o.amount(), o.createdBy()))
                .toList();
        return new Overlays(taskBudget.map(Overlay::amount), allowances, taskBudget.map(Overlay::createdBy));
    }

    private static Optional<Tier> tier(String text) {
        try {
            return Optional.of(Tier.valueOf(text));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    private static OffsetDateTime utc(Instant t) {
        return t.atOffset(ZoneOffset.UTC);
    }
}
