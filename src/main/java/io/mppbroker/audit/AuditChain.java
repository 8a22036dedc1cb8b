package io.mppbroker.audit;

import com.fasterxml.jackson.core.type.TypeReference;
import io.mppbroker.jobs.WakeableLoop;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.TransactionPhase;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.transaction.Transactional;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * The hash chain's only writer: seals recorded lines into it, after their steps committed.
 * <p>
 * Why after commit: the chain has one total order and no gaps, so a line's seq and hashes can only be assigned
 * while holding the single {@code audit_chain_head} row. When business transactions sealed their own lines, they
 * held that lock through their commit and its WAL flush, and every payment of every project queued on it (4 lines
 * per payment). Now a step only inserts its line into {@code audit_pending} ({@link AuditTrail}); the sealer takes
 * the head lock, moves what has committed into {@code audit_event} in recording order and advances the head once,
 * so one flush seals a whole batch. Causality is kept: a step that committed before another started was
 * recorded with a smaller id, and any batch that sees the later line also sees the earlier one. (Steps that
 * overlap in time are ordered by when they recorded, which for conflicting steps is after their row locks.)
 * <p>
 * Who seals: a thread on every node, woken after each commit that recorded a line (it then lets lines gather
 * for {@code broker.audit.seal-delay}, 50 ms) and at least every second (which also seals what a crashed node
 * left pending); nodes take turns on the head lock. Readers that must see
 * their own writes (the audit API, the exporter, access requests derived from a denial) call
 * {@link #sealPending()} first. A line is in the tamper-evident chain about {@code seal-delay} (50 ms) after its step commits.
 */
@ApplicationScoped
public class AuditChain {

    private static final Logger LOG = Logger.getLogger(AuditChain.class);
    private static final Duration POLL = Duration.ofSeconds(1);
    /** Lines per sealing transaction: big enough to drain a burst in one flush, small enough to keep it short. */
    static final int BATCH = 500;
    private static final TypeReference<Map<String, Object>> LINE = new TypeReference<>() {};

    private final EntityManager em;
    private final Event<LinesSealed> sealed;
    private final WakeableLoop sealer;

    public AuditChain(EntityManager em, Event<LinesSealed> sealed, AuditConfig config) {
        this.em = em;
        this.sealed = sealed;
        // Woken after each commit that recorded a line; the delay lets a payment's lines gather: each sealing
        // transaction costs a WAL flush that the payments' own commits then wait behind.
        this.sealer = new WakeableLoop("audit-sealer", POLL, config.sealDelay(), this::sealPending, LOG,
                "sealing audit lines failed; the lines stay pending");
    }

    void start(@Observes StartupEvent event) {
        sealer.start();
        sealer.wake(); // lines a previous run left pending
    }

    void stop(@Observes ShutdownEvent event) {
        sealer.stop();
    }

    void recorded(@Observes(during = TransactionPhase.AFTER_SUCCESS) AuditTrail.LineRecorded event) {
        sealer.wake();
    }

    /**
     * Seals every line whose step committed before this call. Cheap when nothing is pending (one read, no lock);
     * otherwise waits for the head lock, which a concurrent sealer holds only for one batch.
     */
    public void sealPending() {
        if (!QuarkusTransaction.requiringNew().call(this::anyPending)) {
            return;
        }
        while (QuarkusTransaction.requiringNew().call(() -> sealBatch(lockHead())) == BATCH) {
            // a backlog: the next batch in a transaction of its own
        }
    }

    /**
     * Appends a signed checkpoint covering the whole chain, unless the chain is empty or already ends with a
     * checkpoint. Returns the checkpoint's seq. Seals what is pending first (call {@link #sealPending()} before,
     * so that here it is one batch at most); with a backlog beyond one batch there is no checkpoint this time.
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public Optional<Long> checkpoint(AuditKeys.SigningKey key, Instant now) {
        AuditChainHead head = lockHead();
        if (sealBatch(head) == BATCH) {
            return Optional.empty(); // a backlog: sealed batch by batch first, signed at the next checkpoint
        }
        if (head.seq == head.chainStartSeq) {
            return Optional.empty();
        }
        AuditEvent last = em.find(AuditEvent.class, head.seq);
        if (last != null && AuditCheckpoint.EVENT.equals(last.event)) {
            return Optional.empty();
        }
        AuditEvent row = new AuditEvent();
        row.ts = now;
        row.event = AuditCheckpoint.EVENT;
        row.action = AuditCheckpoint.ACTION;
        append(head, row, AuditCheckpoint.sealed(head.seq + 1, head.hash, now, key));
        advance(head, row.seq, (String) row.line.get(AuditLines.HASH));
        return Optional.of(row.seq);
    }

    private boolean anyPending() {
        // By the primary key, not a scan: the table churns, and a scan would walk its dead rows.
        return !em.createNativeQuery("SELECT 1 FROM audit_pending ORDER BY id LIMIT 1").getResultList().isEmpty();
    }

    private AuditChainHead lockHead() {
        AuditChainHead head = em.find(AuditChainHead.class, AuditChainHead.ID, LockModeType.PESSIMISTIC_WRITE);
        if (head == null) {
            throw new IllegalStateException("audit_chain_head is missing (migration V2 not applied?)");
        }
        return head;
    }

    /**
     * Moves up to {@link #BATCH} committed pending lines into the chain, in recording order, and advances the
     * head past them. The caller holds the head lock, so no other sealer takes the same lines.
     */
    @SuppressWarnings("unchecked")
    private int sealBatch(AuditChainHead head) {
        // One statement takes exactly the rows it returns: a step still committing (an older id, not visible yet)
        // stays pending for the next batch instead of being skipped.
        List<Object[]> rows = em.createNativeQuery("""
                        DELETE FROM audit_pending WHERE id IN (SELECT id FROM audit_pending ORDER BY id LIMIT ?1)
                        RETURNING id, line::text""", Object[].class)
                .setParameter(1, BATCH).getResultList();
        if (rows.isEmpty()) {
            return 0;
        }
        rows.sort(Comparator.comparingLong(r -> ((Number) r[0]).longValue()));
        long seq = head.seq;
        String hash = head.hash;
        for (Object[] r : rows) {
            Map<String, Object> sealedLine = AuditLines.seal(parse(r), seq + 1, hash);
            AuditEvent row = columnsOf(sealedLine);
            append(head, row, sealedLine);
            seq = row.seq;
            hash = (String) sealedLine.get(AuditLines.HASH);
        }
        advance(head, seq, hash);
        return rows.size();
    }

    private void append(AuditChainHead head, AuditEvent row, Map<String, Object> sealedLine) {
        row.seq = ((Number) sealedLine.get(AuditLines.SEQ)).longValue();
        row.line = sealedLine;
        row.persist();
    }

    /** One UPDATE per batch; the head's trigger checks that the lines it moves over are there, gapless and linked (V13). */
    private void advance(AuditChainHead head, long seq, String hash) {
        em.flush(); // the lines first, so the trigger finds them
        head.seq = seq;
        head.hash = hash;
        em.flush();
        sealed.fire(new LinesSealed(seq));
    }

    private static Map<String, Object> parse(Object[] row) {
        try {
            return AuditLines.JSON.readValue((String) row[1], LINE);
        } catch (IOException e) {
            throw new UncheckedIOException("audit_pending id " + row[0] + " has an unreadable line", e);
        }
    }

    /** The row's query columns, copied from the line (the line is what the file and the hash hold). */
    private static AuditEvent columnsOf(Map<String, Object> line) {
        AuditEvent row = new AuditEvent();
        row.ts = Instant.parse((String) line.get("ts"));
        row.event = text(line, "event");
        row.agent = text(line, "agent");
        row.project = text(line, "project");
        row.task = text(line, "task");
        row.action = text(line, "action");
        row.resource = text(line, "resource");
        row.decision = text(line, "decision");
        row.reason = text(line, "reason");
        row.amount = line.get("amount") == null ? null : new BigDecimal(line.get("amount").toString());
        row.currency = text(line, "currency");
        row.paymentId = text(line, "payment_id");
        row.decisionId = text(line, "decision_id");
        row.approvedBy = text(line, "approved_by");
        row.receiptReference = text(line, "receipt_reference");
        row.httpStatus = line.get("http_status") == null ? null : ((Number) line.get("http_status")).intValue();
        row.policyVersion = text(line, "policy_version");
        return row;
    }

    private static String text(Map<String, Object> line, String key) {
        Object value = line.get(key);
        return value == null ? null : value.toString();
    }

    /** Fired by each sealing transaction; observers act after it commits (the exporter, the dashboard). */
    public record LinesSealed(long lastSeq) {}
}
