package io.mppbroker.approval;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import io.quarkus.panache.common.Sort;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/** A question to a human about one subject: may this payment go ahead, or may this agent have this access? */
@Entity
@Table(name = "approval")
public class Approval extends PanacheEntityBase {

    /** EXPIRED: nobody answered before the last route's timeout, and the policy fails closed. */
    public enum Status { PENDING, APPROVED, DENIED, WITHDRAWN, SUPERSEDED, EXPIRED }

    @Id
    public String id;
    /** The subject: exactly one of {@code paymentId} and {@code accessRequestId} is set. */
    @Column(name = "payment_id")
    public String paymentId;
    @Column(name = "access_request_id")
    public String accessRequestId;
    public String project;
    public String tier;
    public String reason;
    @Enumerated(EnumType.STRING)
    public Status status;
    @Column(name = "decided_by")
    public String decidedBy;
    public String note;
    @Column(name = "max_amount")
    public BigDecimal maxAmount;
    @Column(name = "created_at")
    public Instant createdAt;
    @Column(name = "decided_at")
    public Instant decidedAt;
    public String agent;
    @Column(name = "required_approvals")
    public int requiredApprovals = 1;
    /** Which route of the tier's routing is being asked now; escalation moves it forward. */
    @Column(name = "route_index")
    public int routeIndex;
    @Column(name = "escalate_at")
    public Instant escalateAt;
    /** The channel the deciding answer came from: api, slack, telegram, dashboard, timeout. */
    @Column(name = "decided_via")
    public String decidedVia;
    /** Revisions that came with the approval (counter-offer, task budget, seller allowance), as shown to the agent. */
    @JdbcTypeCode(SqlTypes.JSON)
    public Map<String, Object> revision;
    @Version
    public long version;

    /** Pending approvals of payments ({@code accessRequests} false) or of access requests whose route timed out. */
    public static List<Approval> dueForEscalation(Instant now, int limit, boolean accessRequests) {
        return find("status = ?1 and escalateAt <= ?2 and accessRequestId is " + (accessRequests ? "not null" : "null"),
                Sort.ascending("escalateAt"), Status.PENDING, now).page(0, limit).list();
    }

    public boolean isAboutAccess() {
        return accessRequestId != null;
    }

    public boolean isPending() {
        return status == Status.PENDING;
    }

    public static List<Approval> pendingFor(Collection<String> projects) {
        return list("project in ?1 and status = ?2", Sort.ascending("createdAt"), projects, Status.PENDING);
    }
}
