package io.mppbroker.audit;

import com.fasterxml.jackson.core.type.TypeReference;
import io.agroal.api.AgroalDataSource;
import io.mppbroker.cluster.Lease;
import io.mppbroker.jobs.WakeableLoop;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.TransactionPhase;
import jakarta.persistence.EntityManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import org.jboss.logging.Logger;

/**
 * The one writer of the audit files. It appends sealed {@code audit_event} rows in seq order, woken after
 * each sealing (see {@link AuditChain}) and at least every second, and adds a signed checkpoint every {@code broker.audit.checkpoint-lines}
 * lines or {@code broker.audit.checkpoint-interval}. At start it picks up where the files end, so lines committed
 * before a crash but never written reach the file then. Verification runs under the same lock, so it never
 * reads a line being written.
 * <p>
 * Several nodes: exactly one node of the cluster writes the files, the holder of the {@code audit-exporter}
 * {@link Lease} (a PostgreSQL advisory lock). The others stand by and ask again every second; when the writer
 * dies its lock goes with its connection and the next node opens the files (a shared volume) where they end and
 * continues from the database. Checkpoints are added by the writer only, so nodes never sign the same lines twice.
 */
@ApplicationScoped
public class AuditExporter {

    private static final Logger LOG = Logger.getLogger(AuditExporter.class);
    private static final Duration POLL = Duration.ofSeconds(1);
    private static final int PAGE = 500;
    /** Advisory lock key of the exporter lease ("mpp-audi"). */
    private static final long LEASE_KEY = 0x6d70702d61756469L;
    /** How long a standby node's verify waits for the writing node to catch up with the database. */
    private static final Duration STANDBY_VERIFY_WAIT = Duration.ofSeconds(5);
    private static final TypeReference<Map<String, Object>> LINE = new TypeReference<>() {};

    private final AuditConfig config;
    private final AuditKeyring keyring;
    private final AuditChain chain;
    private final EntityManager em;
    private final Clock clock = Clock.systemUTC();
    private final ReentrantLock lock = new ReentrantLock();
    private final WakeableLoop loop;
    private final Lease lease;

    private AuditFileWriter writer;
    private long chainStart;
    private long exportedSeq;
    private String exportedHash;
    private long uncheckpointed;
    private Instant lastCheckpoint;
    /** Set when the database's rows do not continue the chain; the file then takes nothing more. */
    private volatile String halted;
    /** This node holds the lease and has the files open. */
    private volatile boolean exporting;

    public AuditExporter(AuditConfig config, AuditKeyring keyring, AuditChain chain, EntityManager em,
                         AgroalDataSource dataSource) {
        this.config = config;
        this.keyring = keyring;
        this.chain = chain;
        this.em = em;
        this.lease = new Lease(dataSource, LEASE_KEY, "audit-exporter");
        this.loop = new WakeableLoop("audit-exporter", POLL, Duration.ZERO, this::exportTurn, LOG, "audit file export failed");
    }

    void start(@Observes StartupEvent event) {
        keyring.signingKey(); // load or generate now, so the key id is logged at start
        if (lease.hold()) {
            takeOver();
        } else {
            LOG.infof("another node writes the audit files; this one stands by");
        }
        loop.start();
    }

    void stop(@Observes ShutdownEvent event) {
        loop.stop();
        lock.lock();
        try {
            // Leave the chain signed up to its end where possible.
            if (exporting && lease.hold()) {
                if (uncheckpointed > 0 && halted == null) checkpointNow();
                exportPending();
            }
        } catch (RuntimeException e) {
            LOG.warnf("audit files not finalized at shutdown (the next start completes them): %s", e.getMessage());
        } finally {
            exporting = false;
            closeWriter();
            lease.release();
            lock.unlock();
        }
    }

    /** This node got the lease: open the files where they end and write what the database has beyond. */
    private void takeOver() {
        lock.lock();
        try {
            open();
            exporting = true;
            exportSealed();
        } finally {
            lock.unlock();
        }
    }

    /** The lease is gone (connection lost): stop writing at once, another node may have taken over. */
    private void standDown() {
        lock.lock();
        try {
            exporting = false;
            closeWriter();
            writer = null;
        } finally {
            lock.unlock();
        }
    }


    void sealed(@Observes(during = TransactionPhase.AFTER_SUCCESS) AuditChain.LinesSealed event) {
        loop.wake();
    }

    /** One turn of the writer: only the lease holder writes; it takes over or stands down as the lease goes. */
    private void exportTurn() {
        if (!lease.hold()) {
            if (exporting) standDown();
            return;
        }
        if (!exporting) takeOver();
        exportSealed();
        if (checkpointDue()) checkpointNow();
    }

    private boolean checkpointDue() {
        return uncheckpointed > 0 && halted == null && (uncheckpointed >= config.checkpointLines()
                || !clock.instant().isBefore(lastCheckpoint.plus(config.checkpointInterval())));
    }

    /** Appends a signed checkpoint (if any line is not covered yet) and writes it out. Returns its seq. */
    public Optional<Long> checkpointNow() {
        lock.lock();
        try {
            if (!exporting) return Optional.empty();
            chain.sealPending(); // in batches of their own; the checkpoint's transaction then seals little or nothing
            Optional<Long> seq = QuarkusTransaction.requiringNew().call(() -> chain.checkpoint(keyring.signingKey(), clock.instant()));
            lastCheckpoint = clock.instant();
            exportSealed();
            return seq;
        } finally {
            lock.unlock();
        }
    }

    /** Writes every line committed so far (sealing what is pending first); returns the seq the file now ends at. */
    public long exportPending() {
        chain.sealPending();
        return exportSealed();
    }

    /** Writes the sealed lines not yet in the file; returns the seq the file now ends at. */
    private long exportSealed() {
        lock.lock();
        try {
            if (halted != null || !exporting) return exportedSeq;
            List<Row> rows;
            do {
                rows = fetch(exportedSeq, PAGE);
                for (Row row : rows) {
                    if (!append(row)) return exportedSeq;
                }
                writer.flush();
            } while (rows.size() == PAGE);
            return exportedSeq;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the audit file " + config.file(), e);
        } finally {
            lock.unlock();
        }
    }

    private boolean append(Row row) throws IOException {
        if (row.seq != exportedSeq + 1) {
            // Cannot happen: seqs are assigned under the head lock in the sealing transaction; wait rather than write a gap.
            LOG.warnf("audit line seq %d is not committed yet while seq %d is; waiting", exportedSeq + 1, row.seq);
            return false;
        }
        Map<String, Object> line = row.line;
        String hash = String.valueOf(line.get(AuditLines.HASH));
        String problem = !exportedHash.equals(line.get(AuditLines.PREV_HASH)) ? "its prev_hash is not the hash of seq " + exportedSeq
                : !AuditLines.hash(line).equals(hash) ? "its content does not match its hash"
                : !Long.valueOf(row.seq).equals(((Number) line.get(AuditLines.SEQ)).longValue()) ? "its seq field differs from the row" : null;
        if (problem != null) {
            halted = "the database's audit line seq " + row.seq + " does not continue the chain: " + problem
                    + "; the file ends at seq " + exportedSeq + " and takes no further lines";
            LOG.error(halted);
            return false;
        }
        writer.append(row.seq, hash, AuditLines.toJson(line));
        exportedSeq = row.seq;
        exportedHash = hash;
        if (AuditCheckpoint.EVENT.equals(line.get("event"))) {
            uncheckpointed = 0;
        } else {
            uncheckpointed++;
        }
        return true;
    }

    /** Finds where the files end and makes sure they continue the database's chain. */
    private void open() {
        try {
            writer = AuditFileWriter.open(config.file(), config.maxFileBytes().asLongValue());
            writer.repairs().forEach(r -> LOG.warnf("audit file repaired: %s", r));
            Head head = QuarkusTransaction.requiringNew().call(this::readHead);
            chainStart = head.chainStart;
            exportedSeq = chainStart;
            exportedHash = AuditLines.GENESIS;
            Optional<AuditFileWriter.Tail> tail = writer.tail();
            if (tail.isEmpty() && head.seq > chainStart) {
                LOG.infof("no audit file at %s: writing the chain's %d lines from the database", config.file(), head.seq - chainStart);
            }
            if (tail.isPresent()) {
                AuditFileWriter.Tail t = tail.get();
                String dbHash = t.chained() ? QuarkusTransaction.requiringNew().call(() -> hashAt(t.seq())) : null;
                if (dbHash != null && dbHash.equals(t.hash())) {
                    exportedSeq = t.seq();
                    exportedHash = t.hash();
                    if (head.seq > t.seq()) {
                        LOG.infof("audit file ends at seq %d, the database at seq %d: writing the %d missing lines",
                                t.seq(), head.seq, head.seq - t.seq());
                    }
                } else {
                    Path moved = writer.detach(clock.instant());
                    LOG.warnf("the audit files at %s do not continue the database's audit chain (%s); moved them to %s"
                                    + " and writing the chain from the database", config.file().toAbsolutePath().getParent(),
                            t.chained() ? "they end at seq " + t.seq() + " with a hash the database does not have: a reset database, or edited files"
                                    : "they predate the hash chain", moved);
                }
            }
            Map.Entry<Long, Instant> last = QuarkusTransaction.requiringNew().call(this::lastCheckpoint);
            uncheckpointed = head.seq - last.getKey();
            lastCheckpoint = last.getValue();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the audit file " + config.file(), e);
        }
    }

    /**
     * Verifies the broker's own audit files (after writing out every committed line) and that they hold exactly
     * the database's chain: the files alone cannot show lines cut off at the end or lines after the last
     * checkpoint rewritten with new hashes; the append-only table can.
     */
    public AuditReport verify() {
        if (exporting) {
            lock.lock();
            try {
                chain.sealPending();
                long committedHead = QuarkusTransaction.requiringNew().call(this::readHead).seq;
                exportSealed();
                return verifyFiles(committedHead);
            } finally {
                lock.unlock();
            }
        }
        // Another node writes the (shared) files: give it a moment to reach the head seen now.
        chain.sealPending();
        long committedHead = QuarkusTransaction.requiringNew().call(this::readHead).seq;
        Instant until = clock.instant().plus(STANDBY_VERIFY_WAIT);
        AuditReport report = verifyFiles(committedHead);
        while (!report.ok() && clock.instant().isBefore(until)) {
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            report = verifyFiles(committedHead);
        }
        return report;
    }

    private AuditReport verifyFiles(long committedHead) {
        try {
            List<Path> files = AuditFiles.chainOf(config.file());
            AuditReport report = AuditVerifier.verify(files,
                    new AuditVerifier.Options(keyring.trustedKeys(), true, false), new DatabaseMatch());
            if (!report.ok()) return report;
            String lastFile = files.isEmpty() ? config.file().getFileName().toString() : files.get(files.size() - 1).getFileName().toString();
            if (halted != null) {
                return report.broken(new AuditReport.Problem(lastFile, null, exportedSeq + 1, "not_in_database", halted));
            }
            long fileEnd = report.lastSeq() == null ? chainStart : report.lastSeq();
            if (fileEnd < committedHead) {
                return report.broken(new AuditReport.Problem(lastFile, null, fileEnd + 1, "truncated",
                        "the files end at seq " + fileEnd + " but the database's chain has lines up to seq " + committedHead));
            }
            return report;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the audit files", e);
        }
    }

    /** Compares each verified file line with the database row of the same seq, a page at a time. */
    private final class DatabaseMatch implements AuditVerifier.LineCheck {
        private List<SeqHash> page = List.of();
        private int index;

        @Override
        public Optional<AuditCheckpoint.Failure> check(long seq, String hash) {
            if (index >= page.size()) {
                page = QuarkusTransaction.requiringNew().call(() -> hashesFrom(seq));
                index = 0;
            }
            if (index >= page.size() || page.get(index).seq != seq) {
                page = List.of();
                return Optional.of(new AuditCheckpoint.Failure("not_in_database", "the database has no audit line seq " + seq));
            }
            SeqHash row = page.get(index++);
            if (!row.hash.equals(hash)) {
                return Optional.of(new AuditCheckpoint.Failure("not_in_database", "the database's line seq " + seq
                        + " has hash " + row.hash + "; the file's line was rewritten and its hash recomputed"));
            }
            return Optional.empty();
        }
    }

    // ---- database reads -----------------------------------------------------------------------------

    private record Row(long seq, Map<String, Object> line) {}

    private record SeqHash(long seq, String hash) {}

    private record Head(long seq, long chainStart) {}

    private List<Row> fetch(long after, int limit) {
        List<Object[]> rows = QuarkusTransaction.requiringNew().call(() -> em.createNativeQuery(
                        "SELECT seq, line::text FROM audit_event WHERE seq > ?1 ORDER BY seq LIMIT ?2", Object[].class)
                .setParameter(1, after).setParameter(2, limit).getResultList());
        List<Row> result = new ArrayList<>(rows.size());
        for (Object[] r : rows) {
            try {
                result.add(new Row(((Number) r[0]).longValue(), AuditLines.JSON.readValue((String) r[1], LINE)));
            } catch (IOException e) {
                throw new UncheckedIOException("audit_event seq " + r[0] + " has an unreadable line", e);
            }
        }
        return result;
    }

    @SuppressWarnings("unchecked")
    private List<SeqHash> hashesFrom(long seq) {
        List<Object[]> rows = em.createNativeQuery(
                        "SELECT seq, line ->> 'hash' FROM audit_event WHERE seq >= ?1 ORDER BY seq LIMIT ?2", Object[].class)
                .setParameter(1, seq).setParameter(2, PAGE).getResultList();
        return rows.stream().map(r -> new SeqHash(((Number) r[0]).longValue(), String.valueOf(r[1]))).toList();
    }

    private Head readHead() {
        AuditChainHead head = em.find(AuditChainHead.class, AuditChainHead.ID);
        return new Head(head.seq, head.chainStartSeq);
    }

    private String hashAt(long seq) {
        AuditEvent row = em.find(AuditEvent.class, seq);
        return row == null || row.line == null ? null : String.valueOf(row.line.get(AuditLines.HASH));
    }

    /** Seq and time of the last checkpoint (the chain start and now when there is none). */
    private Map.Entry<Long, Instant> lastCheckpoint() {
        List<AuditEvent> rows = em.createQuery("from AuditEvent where event = :e order by seq desc", AuditEvent.class)
                .setParameter("e", AuditCheckpoint.EVENT).setMaxResults(1).getResultList();
        return rows.isEmpty() ? Map.entry(chainStart, clock.instant()) : Map.entry(rows.get(0).seq, rows.get(0).ts);
    }

    private void closeWriter() {
        try {
            if (writer != null) writer.close();
        } catch (IOException e) {
            LOG.warnf("closing the audit file: %s", e.getMessage());
        }
    }
}
