package io.mppbroker.approval;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;
import java.io.Serializable;
import java.time.Instant;
import java.util.List;

/** One approver's answer to one approval. An explicit-tier approval needs several distinct ones. */
@Entity
@Table(name = "approval_vote")
@IdClass(ApprovalVote.Key.class)
public class ApprovalVote extends PanacheEntityBase {

    public record Key(String approvalId, String approver) implements Serializable {
        public Key() {
            this(null, null);
        }
    }

    @Id
    @Column(name = "approval_id")
    public String approvalId;
    @Id
    public String approver;
    public String verdict;
    public String note;
    public String via;
    @Column(name = "created_at")
    public Instant createdAt;

    public static List<ApprovalVote> forApproval(String approvalId) {
        return list("approvalId = ?1 order by createdAt", approvalId);
    }
}
