package io.mppbroker.audit;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** The single row naming the last line of the audit chain; the sealer ({@link AuditChain}) locks it to assign seqs. */
@Entity
@Table(name = "audit_chain_head")
public class AuditChainHead extends PanacheEntityBase {

    public static final int ID = 1;

    @Id
    public Integer id;

    public long seq;

    public String hash;

    /** Lines with seq up to here were written before the chain existed and carry no hash. */
    @Column(name = "chain_start_seq")
    public long chainStartSeq;
}
