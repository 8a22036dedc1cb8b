package io.mppbroker.reconciliation;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/**
 * Writes ledger rows straight into the tables, including states the broker never produces by construction (a
 * decision paid twice, a charge without a decision), so reconciliation can be shown to find them.
 */
final class LedgerSeed {

    /** A value written with {@code CAST(? AS jsonb)}. */
    record Jsonb(String json) {}

    private final DataSource database;

    LedgerSeed(DataSource database) {
        this.database = database;
    }

    /** A payment row with the columns every payment has, then {@code columns} on top. */
    Map<String, Object> payment(String id, String project, String agent, String seller, String status, String amount,
                                Instant at) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("id", id);
        row.put("project", project);
        row.put("agent", agent);
        row.put("task", "t-" + id);
        row.put("request_hash", "0".repeat(64));
        row.put("request_method", "GET");
        row.put("request_url", "https://" + seller + "/resource");
        row.put("request_headers", new Jsonb("{}"));
        row.put("status", status);
        row.put("seller_host", seller);
        row.put("amount", new BigDecimal(amount));
        row.put("amount_minor", new BigDecimal(amount).movePointRight(2).longValueExact());
        row.put("currency", "usd");
        row.put("created_at", at.minusSeconds(30));
        row.put("updated_at", at.plusSeconds(2));
        return row;
    }

    void insert(String table, Map<String, Object> columns) {
        List<String> names = new ArrayList<>(columns.keySet());
        StringBuilder values = new StringBuilder();
        for (int i = 0; i < names.size(); i++) {
            values.append(i == 0 ? "" : ", ").append(columns.get(names.get(i)) instanceof Jsonb ? "CAST(? AS jsonb)" : "?");
        }
        String sql = "INSERT INTO " + table + " (" + String.join(", ", names) + ") VALUES (" + values + ")";
        try (Connection c = database.getConnection(); PreparedStatement s = c.prepareStatement(sql)) {
            for (int i = 0; i < names.size(); i++) {
                Object v = columns.get(names.get(i));
                if (v instanceof Jsonb j) {
                    s.setString(i + 1, j.json());
                } else if (v instanceof Instant t) {
                    s.setObject(i + 1, OffsetDateTime.ofInstant(t, ZoneOffset.UTC));
                } else {
                    s.setObject(i + 1, v);
                }
            }
            s.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }

    void decision(String id, String paymentId, String tier, String basis, String rule, String amount, String decidedBy,
                  Instant at) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("id", id);
        row.put("payment_id", paymentId);
        row.put("tier", tier);
        row.put("basis", basis);
        row.put("rule", rule);
        row.put("reason", "seeded");
        row.put("policy_version", "sha256:seeded-" + id);
        row.put("decided_by", decidedBy);
        row.put("amount", new BigDecimal(amount));
        row.put("currency", "usd");
        row.put("created_at", at.minusSeconds(10));
        insert("decision", row);
    }

    void reservation(String paymentId, String project, String seller, String amount, String state, Instant at) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("payment_id", paymentId);
        row.put("project", project);
        row.put("task", "t-" + paymentId);
        row.put("seller_host", seller);
        row.put("amount", new BigDecimal(amount));
        row.put("currency", "usd");
        row.put("state", state);
        row.put("created_at", at);
        row.put("updated_at", at);
        insert("budget_reservation", row);
    }

    void approval(String id, String paymentId, String project, String decidedBy, String via, Instant decidedAt,
                  String maxAmount) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("id", id);
        row.put("payment_id", paymentId);
        row.put("project", project);
        row.put("tier", "ASK");
        row.put("reason", "seeded");
        row.put("status", "APPROVED");
        row.put("decided_by", decidedBy);
        row.put("decided_via", via);
        row.put("max_amount", maxAmount == null ? null : new BigDecimal(maxAmount));
        row.put("created_at", decidedAt.minusSeconds(120));
        row.put("decided_at", decidedAt);
        row.put("required_approvals", 2);
        insert("approval", row);
    }

    void vote(String approvalId, String approver, String verdict, String via, Instant at) {
        insert("approval_vote", new LinkedHashMap<>(Map.of("approval_id", approvalId, "approver", approver,
                "verdict", verdict, "via", via, "created_at", at)));
    }

    void grant(String overlayId, String project, String seller, String amount, String createdBy, Instant at) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("id", overlayId);
        row.put("project", project);
        row.put("kind", "SELLER_ALLOWANCE");
        row.put("seller_host", seller);
        row.put("amount", new BigDecimal(amount));
        row.put("expires_at", at.plusSeconds(86_400));
        row.put("created_by", createdBy);
        row.put("created_at", at);
        insert("policy_overlay", row);
    }
}
