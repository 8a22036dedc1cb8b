package io.mppbroker.a2a;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import org.hibernate.annotations.ColumnTransformer;

/** One push of one state of one record to one target; unique per (target, subject, state version). */
@Entity
@Table(name = "push_delivery")
public class PushDelivery extends PanacheEntityBase {

    public enum Status { PENDING, SENDING, DELIVERED, FAILED, SKIPPED }

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;
    @Column(name = "target_id")
    public String targetId;
    @Column(name = "subject_id")
    public String subjectId;
    @Column(name = "state_version")
    public String stateVersion;
    /** The JSON body, fixed when the state was queued. */
    @ColumnTransformer(read = "payload::text", write = "?::jsonb")
    public String payload;
    @Enumerated(EnumType.STRING)
    public Status status;
    public int attempts;
    @Column(name = "next_attempt_at")
    public Instant nextAttemptAt;
    @Column(name = "last_error")
    public String lastError;
    @Column(name = "created_at")
    public Instant createdAt;
    @Column(name = "delivered_at")
    public Instant deliveredAt;
}
