package io.mppbroker.access;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/** An agent's request for access it was denied, the least-privilege grant proposed for it, and how it ended. */
@Entity
@Table(name = "access_request")
public class AccessRequestRecord extends PanacheEntityBase {

    public enum Status { PENDING, APPROVED, DENIED, EXPIRED, WITHDRAWN }

    @Id
    public String id;
    public String project;
    public String agent;
    public String service;
    /** Full actions as asked ({@code stripe:charges:read}). */
    @JdbcTypeCode(SqlTypes.JSON)
    public List<String> actions;
    public String resource;
    @JdbcTypeCode(SqlTypes.JSON)
    public Map<String, String> context;
    public String justification;
    @Column(name = "ttl_seconds")
    public long ttlSeconds;
    /** The audit line ({@code seq}) of the denial the request was derived from; null when the agent named it. */
    @Column(name = "derived_from")
    public Long derivedFrom;
    @JdbcTypeCode(SqlTypes.JSON)
    public GrantProposal proposal;
    public String diff;
    @Enumerated(EnumType.STRING)
    public Status status;
    @Column(name = "approval_id")
    public String approvalId;
    @Column(name = "grant_id")
    public String grantId;
    @Column(name = "decided_by")
    public String decidedBy;
    @Column(name = "decided_at")
    public Instant decidedAt;
    public String note;
    /** The agent's Idempotency-Key (REST) or {@code a2a:<messageId>}; unique per project and agent. */
    @Column(name = "idempotency_key")
    public String idempotencyKey;
    /** What was asked, hashed: a key reused for a different request is refused. */
    @Column(name = "request_hash")
    public String requestHash;
    @Column(name = "created_at")
    public Instant createdAt;
    @Column(name = "updated_at")
    public Instant updatedAt;
    @Version
    public long version;

    public static java.util.Optional<AccessRequestRecord> byIdempotencyKey(String project, String agent, String key) {
        return find("project = ?1 and agent = ?2 and idempotencyKey = ?3", project, agent, key).firstResultOptional();
    }
}
