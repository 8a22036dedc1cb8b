package io.mppbroker.approval.outbox;

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
import java.util.Optional;

/** A message to a human on a chat channel, written in the same transaction as the state it announces. */
@Entity
@Table(name = "outbox")
public class OutboxMessage extends PanacheEntityBase {

    public enum Kind { ANNOUNCE, UPDATE }

    public enum Status { PENDING, SENDING, SENT, FAILED, SKIPPED }

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;
    public String channel;
    @Enumerated(EnumType.STRING)
    public Kind kind;
    @Column(name = "approval_id")
    public String approvalId;
    public String target;
    @Enumerated(EnumType.STRING)
    public Status status;
    public int attempts;
    @Column(name = "next_attempt_at")
    public Instant nextAttemptAt;
    @Column(name = "last_error")
    public String lastError;
    @Column(name = "external_ref")
    public String externalRef;
    @Column(name = "created_at")
    public Instant createdAt;
    @Column(name = "sent_at")
    public Instant sentAt;

    /** Where the card for this approval was posted on this channel and target, once it was. */
    public static Optional<String> announcedRef(String approvalId, String channel, String target) {
        return find("approvalId = ?1 and channel = ?2 and target = ?3 and kind = ?4 and status = ?5",
                approvalId, channel, target, Kind.ANNOUNCE, Status.SENT)
                .<OutboxMessage>firstResultOptional().map(m -> m.externalRef);
    }
}
