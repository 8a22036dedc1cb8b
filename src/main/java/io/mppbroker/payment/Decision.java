package io.mppbroker.payment;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.math.BigDecimal;
import java.time.Instant;

/**
 * Why a payment was allowed, refused or parked. {@code basis} says who authorized it: {@code policy} (a
 * rule of the policy version recorded here), {@code human} (the approver in {@code decidedBy}), {@code timeout}, or
 * {@code autonomous}: paid in observe mode without enforcing the policy, whose own verdict is kept in
 * {@code observedTier}, {@code observedRule} and {@code observedReason} (null for every other basis).
 */
@Entity
@Table(name = "decision")
public class Decision extends PanacheEntityBase {

    @Id
    public String id;
    @Column(name = "payment_id")
    public String paymentId;
    public String tier;
    public String basis;
    public String rule;
    public String reason;
    @Column(name = "policy_version")
    public String policyVersion;
    @Column(name = "decided_by")
    public String decidedBy;
    public BigDecimal amount;
    public String currency;
    @Column(name = "created_at")
    public Instant createdAt;
    @Column(name = "observed_tier")
    public String observedTier;
    @Column(name = "observed_rule")
    public String observedRule;
    @Column(name = "observed_reason")
    public String observedReason;

    /** Records a decision about the payment, and makes it the payment's current one. */
    public static Decision record(Payment p, String tier, String basis, String rule, String reason, String policyVersion,
                                  String decidedBy, BigDecimal amount, String currency, Instant now) {
        Decision d = new Decision();
        d.id = Ids.next("dec");
        d.paymentId = p.id;
        d.tier = tier;
        d.basis = basis;
        d.rule = rule;
        d.reason = reason;
        d.policyVersion = policyVersion;
        d.decidedBy = decidedBy;
        d.amount = amount;
        d.currency = currency;
        d.createdAt = now;
        d.persist();
        p.decisionId = d.id;
        p.tier = tier;
        p.rule = rule;
        p.reason = reason;
        return d;
    }
}
