package io.mppbroker.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Verifies audit files: every line's hash, the unbroken seq order and prev_hash links (across rotated files),
 * and every checkpoint's Ed25519 signature. Stops at the first problem and says what it looks like. Pure Java:
 * shared by {@code audit verify} (no broker, no database) and {@code GET /v1/audit/verify}.
 * <p>
 * What the files alone cannot show: lines cut off cleanly at the end, or lines after the last checkpoint
 * rewritten with recomputed hashes. The broker's endpoint closes that gap by comparing with the database.
 */
public final class AuditVerifier {

    /**
     * @param trustedKeys      public keys by key id
     * @param checkSignatures  false only for a chain-only check ({@code --skip-signatures})
     * @param allowSegment     accept a first line that is not the chain's genesis (verifying one rotated file alone)
     */
    public record Options(Map<String, PublicKey> trustedKeys, boolean checkSignatures, boolean allowSegment) {}

    /** An extra check per verified line, in seq order; the broker uses it to compare with its database. */
    @FunctionalInterface
    public interface LineCheck {
        Optional<AuditCheckpoint.Failure> check(long seq, String hash);
    }

    private final List<Path> files;
    private final Options options;
    private final LineCheck extra;

    private long lines;
    private long checkpoints;
    private Long firstSeq;
    private Long lastSeq;
    private String lastHash;
    private Long lastCheckpointSeq;

    private AuditVerifier(List<Path> files, Options options, LineCheck extra) {
        this.files = List.copyOf(files);
        this.options = options;
        this.extra = extra;
    }

    public static AuditReport verify(List<Path> files, Options options) throws IOException {
        return verify(files, options, (seq, hash) -> Optional.empty());
    }

    public static AuditReport verify(List<Path> files, Options options, LineCheck extra) throws IOException {
        return new AuditVerifier(files, options, extra).run();
    }

    private AuditReport run() throws IOException {
        for (int f = 0; f < files.size(); f++) {
            Path file = files.get(f);
            try (AuditFiles.LineReader reader = new AuditFiles.LineReader(file)) {
                AuditFiles.RawLine raw;
                while ((raw = reader.next()) != null) {
                    AuditReport.Problem problem = check(f, file, raw);
                    if (problem != null) {
                        return report(problem);
                    }
                }
            }
        }
        return report(null);
    }

    private AuditReport.Problem check(int fileIndex, Path file, AuditFiles.RawLine raw) throws IOException {
        String name = file.getFileName().toString();
        // A cut-off line is only "truncated" when it is also unreadable; otherwise it is an edit.
        String damaged = raw.terminated() ? "edited" : "truncated";
        Optional<ObjectNode> parsed = parse(raw.bytes());
        if (parsed.isEmpty()) {
            String what = raw.bytes().length == 0 ? "an empty line" : "not a JSON object";
            return new AuditReport.Problem(name, raw.number(), null, damaged,
                    raw.terminated() ? "line is " + what : "the file ends in the middle of a line");
        }
        ObjectNode line = parsed.get();
        JsonNode seqNode = line.get(AuditLines.SEQ);
        if (seqNode == null || !seqNode.canConvertToExactIntegral() || !seqNode.canConvertToLong() || seqNode.asLong() < 1) {
            return new AuditReport.Problem(name, raw.number(), null, damaged, "line has no valid seq");
        }
        long seq = seqNode.asLong();
        String hash = line.path(AuditLines.HASH).asText(null);
        String prevHash = line.path(AuditLines.PREV_HASH).asText(null);
        if (hash == null || prevHash == null) {
            return new AuditReport.Problem(name, raw.number(), seq, damaged, "line has no hash or prev_hash");
        }
        if (!AuditLines.hash(line).equals(hash)) {
            return new AuditReport.Problem(name, raw.number(), seq, damaged,
                    raw.terminated() ? "content does not match the line's hash" : "the file ends in the middle of a line");
        }
        if (lastSeq == null) {
            if (!prevHash.equals(AuditLines.GENESIS) && !options.allowSegment()) {
                return new AuditReport.Problem(name, raw.number(), seq, "deleted", "the chain does not start here: seq "
                        + seq + " follows a line with hash " + prevHash + "; the lines before it are missing"
                        + " (to check one rotated file alone, allow a segment)");
            }
            firstSeq = seq;
        } else if (seq != lastSeq + 1) {
            return outOfOrder(fileIndex, file, raw, seq);
        } else if (!prevHash.equals(lastHash)) {
            return new AuditReport.Problem(name, raw.number(), seq, "edited", "prev_hash does not match the hash of seq "
                    + lastSeq + ": this line or the one before it was edited and its hash recomputed");
        }
        if (AuditCheckpoint.isCheckpoint(line)) {
            if (options.checkSignatures()) {
                Optional<AuditCheckpoint.Failure> failure = AuditCheckpoint.check(line, options.trustedKeys());
                if (failure.isPresent()) {
                    return new AuditReport.Problem(name, raw.number(), seq, failure.get().kind(), failure.get().detail());
                }
                lastCheckpointSeq = seq;
            }
            checkpoints++;
        }
        Optional<AuditCheckpoint.Failure> external = extra.check(seq, hash);
        if (external.isPresent()) {
            return new AuditReport.Problem(name, raw.number(), seq, external.get().kind(), external.get().detail());
        }
        lines++;
        lastSeq = seq;
        lastHash = hash;
        return null;
    }

    /** Tells a reordering (the missing seq shows up later) from a deletion and a duplicate. */
    private AuditReport.Problem outOfOrder(int fileIndex, Path file, AuditFiles.RawLine raw, long seq) throws IOException {
        String name = file.getFileName().toString();
        long expected = lastSeq + 1;
        if (seq < expected) {
            return new AuditReport.Problem(name, raw.number(), seq, "duplicated",
                    "seq " + seq + " appears again after seq " + lastSeq);
        }
        Optional<String> later = findLater(fileIndex, raw.number(), expected);
        if (later.isPresent()) {
            return new AuditReport.Problem(name, raw.number(), seq, "reordered",
                    "expected seq " + expected + " here, found seq " + seq + "; seq " + expected + " comes later (" + later.get() + ")");
        }
        String missing = expected == seq - 1 ? "seq " + expected + " is" : "seq " + expected + " to " + (seq - 1) + " are";
        String where = raw.number() == 1 && fileIndex > 0
                ? " (between " + files.get(fileIndex - 1).getFileName() + " and " + name + ": is a rotated file missing?)" : "";
        return new AuditReport.Problem(name, raw.number(), seq, "deleted", missing + " missing" + where);
    }

    private Optional<String> findLater(int fileIndex, long afterLine, long wantedSeq) throws IOException {
        for (int f = fileIndex; f < files.size(); f++) {
            try (AuditFiles.LineReader reader = new AuditFiles.LineReader(files.get(f))) {
                AuditFiles.RawLine raw;
                while ((raw = reader.next()) != null) {
                    if (f == fileIndex && raw.number() <= afterLine) continue;
                    Optional<ObjectNode> line = parse(raw.bytes());
                    if (line.isPresent() && line.get().path(AuditLines.SEQ).asLong(-1) == wantedSeq) {
                        return Optional.of(files.get(f).getFileName() + " line " + raw.number());
                    }
                }
            }
        }
        return Optional.empty();
    }

    private static Optional<ObjectNode> parse(byte[] bytes) {
        try {
            String text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
            if (text.isBlank()) return Optional.empty();
            JsonNode node = AuditLines.JSON.readTree(text);
            return node instanceof ObjectNode o ? Optional.of(o) : Optional.empty();
        } catch (CharacterCodingException | com.fasterxml.jackson.core.JsonProcessingException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private AuditReport report(AuditReport.Problem problem) {
        long unsigned = lastSeq == null ? 0
                : lastCheckpointSeq == null ? lines : lastSeq - lastCheckpointSeq;
        return new AuditReport(problem == null ? AuditReport.OK : AuditReport.BROKEN, lines, checkpoints,
                files.stream().map(p -> p.getFileName().toString()).toList(), firstSeq, lastSeq, lastHash,
                lastCheckpointSeq, unsigned, options.checkSignatures(), problem);
    }
}
