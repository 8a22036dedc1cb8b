package io.mppbroker.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Appends sealed lines to the live audit file and rotates it when it would grow past {@code maxBytes}.
 * Not thread-safe: the broker has exactly one writer (the exporter), which calls it under its lock.
 */
public final class AuditFileWriter implements Closeable {

    /** The last line in the files: its seq and hash; {@code chained} false for a line that predates the chain. */
    public record Tail(long seq, String hash, boolean chained) {}

    private final Path live;
    private final long maxBytes;
    private final List<String> repairs = new ArrayList<>();
    private OutputStream out;
    private long size;
    private long liveFirstSeq;
    private Tail tail;

    private AuditFileWriter(Path live, long maxBytes) {
        this.live = live.toAbsolutePath();
        this.maxBytes = maxBytes;
    }

    /**
     * Opens the chain at {@code live}. A last line without its newline (a crash in the middle of a write) is
     * completed if it is a whole, valid line and cut off otherwise; the database still holds it, and the
     * exporter writes it again. Each repair is listed in {@link #repairs()}.
     */
    public static AuditFileWriter open(Path live, long maxBytes) throws IOException {
        AuditFileWriter writer = new AuditFileWriter(live, maxBytes);
        writer.readTail();
        return writer;
    }

    public Optional<Tail> tail() {
        return Optional.ofNullable(tail);
    }

    public List<String> repairs() {
        return List.copyOf(repairs);
    }

    public Path live() {
        return live;
    }

    public void append(long seq, String hash, String json) throws IOException {
        byte[] bytes = (json + "\n").getBytes(StandardCharsets.UTF_8);
        if (size > 0 && size + bytes.length > maxBytes) {
            rotate();
        }
        if (out == null) {
            Path parent = live.getParent();
            if (parent != null) Files.createDirectories(parent);
            out = new BufferedOutputStream(Files.newOutputStream(live, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND, StandardOpenOption.WRITE), 1 << 16);
            size = Files.size(live);
        }
        if (size == 0) liveFirstSeq = seq;
        out.write(bytes);
        size += bytes.length;
        tail = new Tail(seq, hash, true);
    }

    public void flush() throws IOException {
        if (out != null) out.flush();
    }

    /** Renames the live file to {@code <stem>-<first seq>.jsonl}; the next line starts a new live file. */
    void rotate() throws IOException {
        close();
        Path target = AuditFiles.rotatedName(live, liveFirstSeq);
        if (Files.exists(target)) {
            throw new IOException("cannot rotate " + live + ": " + target + " already exists");
        }
        Files.move(live, target, StandardCopyOption.ATOMIC_MOVE);
        size = 0;
    }

    /**
     * Moves every file of this chain into {@code detached-<UTC time>/} next to the live file, for files that
     * do not continue the database's chain (a reset database, or a file from before the chain existed).
     * Nothing is deleted: the files may be evidence.
     */
    public Path detach(Instant now) throws IOException {
        close();
        Path dir = live.getParent().resolve("detached-"
                + DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC).format(now));
        Files.createDirectories(dir);
        for (Path file : AuditFiles.chainOf(live)) {
            Files.move(file, dir.resolve(file.getFileName()), StandardCopyOption.ATOMIC_MOVE);
        }
        tail = null;
        size = 0;
        return dir;
    }

    @Override
    public void close() throws IOException {
        if (out != null) {
            out.close();
            out = null;
        }
    }

    private void readTail() throws IOException {
        List<Path> chain = AuditFiles.chainOf(live);
        for (int i = chain.size() - 1; i >= 0 && tail == null; i--) {
            Path file = chain.get(i);
            Optional<AuditFiles.RawLine> last = AuditFiles.lastLine(file);
            if (last.isPresent() && !last.get().terminated()) {
                last = repairUnterminated(file, last.get());
            }
            if (last.isPresent()) {
                tail = tailOf(last.get().bytes());
            }
        }
        if (Files.isRegularFile(live)) {
            size = Files.size(live);
            liveFirstSeq = firstSeq(live).orElse(tail == null ? 1 : tail.seq());
        }
    }

    private Optional<AuditFiles.RawLine> repairUnterminated(Path file, AuditFiles.RawLine partial) throws IOException {
        Optional<ObjectNode> line = parse(partial.bytes());
        boolean whole = line.isPresent() && line.get().path(AuditLines.HASH).asText("").equals(AuditLines.hash(line.get()));
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            if (whole) {
                raf.seek(raf.length());
                raf.write('\n');
                repairs.add(file + ": added the newline missing after the last line");
                return Optional.of(new AuditFiles.RawLine(-1, partial.bytes(), true));
            }
            raf.setLength(raf.length() - partial.bytes().length);
            repairs.add(file + ": cut off an incomplete last line of " + partial.bytes().length + " bytes");
        }
        return AuditFiles.lastLine(file);
    }

    private static Tail tailOf(byte[] bytes) {
        Optional<ObjectNode> line = parse(bytes);
        if (line.isEmpty()) return new Tail(-1, null, false);
        JsonNode seq = line.get().get(AuditLines.SEQ);
        String hash = line.get().path(AuditLines.HASH).asText(null);
        boolean chained = seq != null && seq.canConvertToLong() && hash != null;
        return new Tail(chained ? seq.asLong() : -1, hash, chained);
    }

    private static Optional<Long> firstSeq(Path file) throws IOException {
        try (AuditFiles.LineReader reader = new AuditFiles.LineReader(file)) {
            AuditFiles.RawLine first = reader.next();
            return first == null ? Optional.empty()
                    : parse(first.bytes()).map(l -> l.path(AuditLines.SEQ)).filter(JsonNode::canConvertToLong).map(JsonNode::asLong);
        }
    }

    private static Optional<ObjectNode> parse(byte[] bytes) {
        try {
            JsonNode node = AuditLines.JSON.readTree(new String(bytes, StandardCharsets.UTF_8));
            return node instanceof ObjectNode o ? Optional.of(o) : Optional.empty();
        } catch (IOException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
