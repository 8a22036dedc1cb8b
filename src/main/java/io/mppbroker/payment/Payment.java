package io.mppbroker.payment;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/** One agent request to fetch a paid resource, and everything that happened to it. */
@Entity
@Table(name = "payment")
public class Payment extends PanacheEntityBase {

    @Id
    public String id;
    public String project;
    public String agent;
    public String task;
    public String purpose;
    @Column(name = "idempotency_key")
    public String idempotencyKey;
    @Column(name = "request_hash")
    public String requestHash;
    @Column(name = "request_method")
    public String requestMethod;
    @Column(name = "request_url")
    public String requestUrl;
    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "request_headers")
    public Map<String, String> requestHeaders;
    @Column(name = "request_body")
    public byte[] requestBody;

    @Enumerated(EnumType.STRING)
    public PaymentStatus status;
    @Enumerated(EnumType.STRING)
    public PaymentKind kind = PaymentKind.FETCH;

    @Column(name = "seller_host")
    public String sellerHost;
    public String realm;
    @Column(name = "network_profile")
    public String networkProfile;
    @Column(name = "challenge_id")
    public String challengeId;
    public BigDecimal amount;
    @Column(name = "amount_minor")
    public Long amountMinor;
    public String currency;

    @Column(name = "decision_id")
    public String decisionId;
    public String tier;
    public String rule;
    public String reason;

    @Column(name = "approval_id")
    public String approvalId;
    @Column(name = "approved_by")
    public String approvedBy;
    @Column(name = "approval_note")
    public String approvalNote;
    @Column(name = "approved_max_amount")
    public BigDecimal approvedMaxAmount;

    /** Spendable until it expires: stored for reconciliation, never logged or returned. */
    @Column(name = "spt_id")
    public String sptId;
    /** When the token was minted, i.e. became spendable: the time of the charge. */
    @Column(name = "spt_minted_at")
    public Instant sptMintedAt;
    @Column(name = "spt_expires_at")
    public Instant sptExpiresAt;
    /** What the broker last learned about its token; null when none was minted. */
    @Enumerated(EnumType.STRING)
    @Column(name = "spt_state")
    public SptState sptState;
    /** Stripe's {@code usage_details.amount_captured} at the last check (minor units); null if never asked. */
    @Column(name = "spt_amount_captured_minor")
    public Long sptAmountCapturedMinor;
    @Column(name = "spt_checked_at")
    public Instant sptCheckedAt;
    /** When the settlement job resolved this payment from Stripe's answer. */
    @Column(name = "settled_at")
    public Instant settledAt;
    @Column(name = "receipt_reference")
    public String receiptReference;
    @JdbcTypeCode(SqlTypes.JSON)
    public Map<String, Object> receipt;

    @Column(name = "response_status")
    public Integer responseStatus;
    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "response_headers")
    public Map<String, List<String>> responseHeaders;
    @Column(name = "response_body")
    public byte[] responseBody;

    @Column(name = "failure_code")
    public String failureCode;
    @Column(name = "failure_detail")
    public String failureDetail;

    @Column(name = "created_at")
    public Instant createdAt;
    @Column(name = "updated_at")
    public Instant updatedAt;

    @Version
    public long version;

    /** Agent ids are unique only within a project, so the project is part of the key's scope. */
    public static Optional<Payment> byIdempotencyKey(String project, String agent, String key) {
        return find("project = ?1 and agent = ?2 and idempotencyKey = ?3", project, agent, key).firstResultOptional();
    }

    /**
     * The agent's latest drop-in mint for the same amount and seller that a human has in hand (pending, approved and
     * not yet minted, or denied by a human) since {@code since}: a retried mint continues it instead of asking again.
     */
    public static Optional<Payment> openMint(String project, String agent, long amountMinor, String currency,
                                             String networkProfile, Instant since) {
        return find("kind = ?1 and agent = ?2 and amountMinor = ?3 and currency = ?4 and networkProfile = ?5"
                        + " and status in ?6 and (status <> ?8 or approvedBy is not null) and createdAt >= ?7"
                        + " and project = ?9 order by createdAt desc",
                PaymentKind.SPT_MINT, agent, amountMinor, currency, networkProfile,
                List.of(PaymentStatus.PENDING_APPROVAL, PaymentStatus.APPROVED, PaymentStatus.DENIED), since,
                PaymentStatus.DENIED, project)
                .firstResultOptional();
    }

    public static Optional<Payment> byAgentAndSpt(String agent, String sptId) {
        return find("agent = ?1 and sptId = ?2", agent, sptId).firstResultOptional();
    }

    public static List<Payment> byStatus(String project, PaymentStatus status) {
        return list("project = ?1 and status = ?2", project, status);
    }
}
