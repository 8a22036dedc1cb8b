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

/** A question to a human: may this payment go ahead? */
@Entity
@Table(name = "approval")
public class Approval extends PanacheEntityBase {

    public enum Status { PENDING, APPROVED, DENIED, WITHDRAWN, SUPERSEDED }

    @Id
    public String id;
    @Column(name = "payment_id")
    public String paymentId;
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
    @Version
    public long version;

    public static List<Approval> pendingFor(Collection<String> projects) {
        return list("project in ?1 and status = ?2", Sort.ascending("createdAt"), projects, Status.PENDING);
    }
}
