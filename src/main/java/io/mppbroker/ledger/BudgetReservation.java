package io.mppbroker.ledger;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.Optional;

/** Money set aside for one payment; it counts against budgets until it is released. */
@Entity
@Table(name = "budget_reservation")
public class BudgetReservation extends PanacheEntityBase {

    public enum State { RESERVED, CAPTURED, RELEASED }

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;

    @Column(name = "payment_id")
    public String paymentId;
    public String project;
    public String task;
    @Column(name = "seller_host")
    public String sellerHost;
    public BigDecimal amount;
    public String currency;
    @Enumerated(EnumType.STRING)
    public State state;
    @Column(name = "created_at")
    public Instant createdAt;
    @Column(name = "updated_at")
    public Instant updatedAt;

    public static Optional<BudgetReservation> forPayment(String paymentId) {
        return find("paymentId", paymentId).firstResultOptional();
    }
}
