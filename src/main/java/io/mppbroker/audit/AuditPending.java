package io.mppbroker.audit;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.util.Map;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/** An audit line recorded by a committed step and not sealed into the chain yet (see {@link AuditChain}). */
@Entity
@Table(name = "audit_pending")
public class AuditPending extends PanacheEntityBase {

    /** Recording order; lines are sealed in this order. */
    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;

    /** The line's content without {@code seq}, {@code prev_hash} and {@code hash}. */
    @JdbcTypeCode(SqlTypes.JSON)
    public Map<String, Object> line;
}
