package io.mppbroker.access;

import io.mppbroker.policy.Grant;
import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import io.quarkus.panache.common.Sort;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/** A grant issued by an approved access request: applies beside the policy file's grants until it expires or is revoked. */
@Entity
@Table(name = "access_grant")
public class IssuedGrant extends PanacheEntityBase {

    @Id
    public String id;
    public String project;
    public String service;
    /** Service-local actions ({@code charges:read}), as in a policy file's grant. */
    @JdbcTypeCode(SqlTypes.JSON)
    public List<String> actions;
    @JdbcTypeCode(SqlTypes.JSON)
    public List<String> resources;
    @JdbcTypeCode(SqlTypes.JSON)
    public List<String> branches;
    @Column(name = "expires_at")
    public Instant expiresAt;
    @Column(name = "approved_by")
    public String approvedBy;
    @Column(name = "approval_id")
    public String approvalId;
    @Column(name = "access_request_id")
    public String accessRequestId;
    @Column(name = "created_at")
    public Instant createdAt;
    @Column(name = "revoked_at")
    public Instant revokedAt;
    @Column(name = "revoked_by")
    public String revokedBy;
    @Column(name = "expiry_recorded_at")
    public Instant expiryRecordedAt;

    public Grant asPolicyGrant() {
        return new Grant(id, service, actions, resources, branches, List.of(), expiresAt);
    }

    public boolean activeAt(Instant now) {
        return revokedAt == null && now.isBefore(expiresAt);
    }

    /** "active", "expired" or "revoked" at {@code now}. */
    public String state(Instant now) {
        return revokedAt != null ? "revoked" : now.isBefore(expiresAt) ? "active" : "expired";
    }

    public static List<IssuedGrant> active(Instant now) {
        return list("revokedAt is null and expiresAt > ?1", Sort.ascending("createdAt"), now);
    }

    public static List<IssuedGrant> activeIn(Collection<String> projects, Instant now) {
        return list("project in ?1 and revokedAt is null and expiresAt > ?2", Sort.ascending("createdAt"), projects, now);
    }
}
