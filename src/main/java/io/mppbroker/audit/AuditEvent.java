package io.mppbroker.audit;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import io.quarkus.panache.common.Sort;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.hibernate.annotations.Immutable;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/**
 * A row of the append-only audit table (the database refuses UPDATE, DELETE and TRUNCATE). {@code line} is the
 * sealed JSONL line, with its {@code seq}, {@code prev_hash} and {@code hash}, exactly as the file gets it.
 */
@Entity
@Immutable // append-only: Hibernate must never issue an UPDATE for a row (the database would refuse it anyway)
@Table(name = "audit_event")
public class AuditEvent extends PanacheEntityBase {

    /** The line's position in the hash chain, assigned under the chain head lock (see {@link AuditChain}). */
    @Id
    public Long seq;

    public Instant ts;
    public String event;
    public String agent;
    public String project;
    public String task;
    public String action;
    public String resource;
    public String decision;
    public String reason;
    public BigDecimal amount;
    public String currency;
    @Column(name = "payment_id")
    public String paymentId;
    @Column(name = "decision_id")
    public String decisionId;
    @Column(name = "approved_by")
    public String approvedBy;
    @Column(name = "receipt_reference")
    public String receiptReference;
    @Column(name = "http_status")
    public Integer httpStatus;
    @Column(name = "policy_version")
    public String policyVersion;

    @JdbcTypeCode(SqlTypes.JSON)
    public Map<String, Object> line;

    public static List<AuditEvent> forSession(String project, String agent, String task) {
        return forSession(project, agent, task, 0, Integer.MAX_VALUE);
    }

    /** One page of a session in chain order: the lines after seq {@code afterSeq}, at most {@code limit}. */
    public static List<AuditEvent> forSession(String project, String agent, String task, long afterSeq, int limit) {
        StringBuilder query = new StringBuilder("project = ?1 and seq > ?2");
        List<Object> params = new ArrayList<>(List.of(project, afterSeq));
        if (agent != null) {
            params.add(agent);
            query.append(" and agent = ?").append(params.size());
        }
        if (task != null) {
            params.add(task);
            query.append(" and task = ?").append(params.size());
        }
        return find(query.toString(), Sort.ascending("seq"), params.toArray()).page(0, limit).list();
    }

    /** An agent's last {@code limit} lines, newest first (the dashboard's live sessions). */
    public static List<AuditEvent> latestOf(String project, String agent, int limit) {
        return find("project = ?1 and agent = ?2", Sort.descending("seq"), project, agent).page(0, limit).list();
    }

    public static List<AuditEvent> forPayment(String paymentId) {
        return list("paymentId", Sort.ascending("seq"), paymentId);
    }
}
