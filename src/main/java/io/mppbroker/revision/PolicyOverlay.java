package io.mppbroker.revision;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;

/**
 * A revision an approver made, layered over the project's policy file until it expires: a new task budget
 * ("raise t-42 to 800.00 for 72 h") or an allowance for a seller ("allow this seller up to 50.00 for 7 days").
 */
@Entity
@Table(name = "policy_overlay")
public class PolicyOverlay extends PanacheEntityBase {

    public enum Kind { TASK_BUDGET, SELLER_ALLOWANCE }

    @Id
    public String id;
    public String project;
    @Enumerated(EnumType.STRING)
    public Kind kind;
    public String task;
    @Column(name = "seller_host")
    public String sellerHost;
    public BigDecimal amount;
    @Column(name = "expires_at")
    public Instant expiresAt;
    @Column(name = "created_by")
    public String createdBy;
    @Column(name = "approval_id")
    public String approvalId;
    @Column(name = "created_at")
    public Instant createdAt;
    @Column(name = "revoked_at")
    public Instant revokedAt;

    public static List<PolicyOverlay> activeFor(String project, Instant now) {
        return list("project = ?1 and revokedAt is null and expiresAt > ?2 order by createdAt", project, now);
    }
}
