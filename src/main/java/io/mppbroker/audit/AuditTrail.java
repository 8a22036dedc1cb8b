package io.mppbroker.audit;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.TransactionPhase;
import jakarta.transaction.Transactional;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * Records every step twice: a row in the append-only audit table, in the caller's transaction, and one
 * JSONL line in the audit file once that transaction has committed (a rolled-back step leaves no line).
 */
@ApplicationScoped
public class AuditTrail {

    public static final String ACTION_PAY = "mpp:pay";

    private static final Logger LOG = Logger.getLogger(AuditTrail.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final Event<LineCommitted> committed;

    public AuditTrail(AuditConfig config, Event<LineCommitted> committed) {
        this.file = config.file();
        this.committed = committed;
    }

    @Transactional(Transactional.TxType.MANDATORY)
    public void record(AuditEntry entry) {
        Map<String, Object> line = toLine(entry);
        AuditEvent row = new AuditEvent();
        row.ts = entry.ts();
        row.event = entry.event();
        row.agent = entry.agent();
        row.project = entry.project();
        row.task = entry.task();
        row.action = entry.action();
        row.resource = entry.resource();
        row.decision = entry.decision();
        row.reason = entry.reason();
        row.amount = entry.amount();
        row.currency = entry.currency();
        row.paymentId = entry.paymentId();
        row.decisionId = entry.decisionId();
        row.approvedBy = entry.approvedBy();
        row.receiptReference = entry.receiptReference();
        row.httpStatus = entry.httpStatus();
        row.line = line;
        row.persist();
        committed.fire(new LineCommitted(line));
    }

    /** Field order is the documented JSONL order; absent values are written as null so every line has every key. */
    static Map<String, Object> toLine(AuditEntry e) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("ts", e.ts().toString());
        line.put("event", e.event());
        line.put("agent", e.agent());
        line.put("project", e.project());
        line.put("task", e.task());
        line.put("action", e.action());
        line.put("resource", e.resource());
        line.put("decision", e.decision());
        line.put("reason", e.reason());
        line.put("amount", e.amount() == null ? null : e.amount().toPlainString());
        line.put("currency", e.currency());
        line.put("payment_id", e.paymentId());
        line.put("decision_id", e.decisionId());
        line.put("approved_by", e.approvedBy());
        line.put("receipt_reference", e.receiptReference());
        line.put("http_status", e.httpStatus());
        return line;
    }

    void appendAfterCommit(@Observes(during = TransactionPhase.AFTER_SUCCESS) LineCommitted event) {
        try {
            byte[] bytes = (JSON.writeValueAsString(event.line()) + "\n").getBytes(StandardCharsets.UTF_8);
            synchronized (this) {
                Path parent = file.toAbsolutePath().getParent();
                if (parent != null) {
                    Files.createDirectories(parent);
                }
                Files.write(file, bytes, StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
            }
        } catch (IOException e) {
            // The database row is the system of record; a file that cannot be written is loud, not fatal.
            LOG.errorf("could not append to audit file %s: %s", file, e.getMessage());
            throw new UncheckedIOException(e);
        }
    }

    public record LineCommitted(Map<String, Object> line) {}
}
