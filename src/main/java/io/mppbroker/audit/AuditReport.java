package io.mppbroker.audit;

import java.util.List;

/**
 * Outcome of verifying an audit chain. {@code status} is {@code ok} or {@code broken}; {@code lines} counts
 * the lines verified before the first problem (checkpoints included), {@code unsignedLines} the verified
 * lines after the last valid checkpoint (chained, but not yet vouched for by a signature).
 */
public record AuditReport(
        String status,
        long lines,
        long checkpoints,
        List<String> files,
        Long firstSeq,
        Long lastSeq,
        String lastHash,
        Long lastCheckpointSeq,
        long unsignedLines,
        boolean signaturesChecked,
        Problem firstProblem) {

    public static final String OK = "ok";
    public static final String BROKEN = "broken";

    public boolean ok() {
        return OK.equals(status);
    }

    /**
     * The first thing wrong. {@code kind}: {@code edited}, {@code deleted}, {@code reordered}, {@code duplicated},
     * {@code truncated}, {@code bad_checkpoint}, {@code bad_signature}, {@code not_in_database} (the broker's
     * endpoint only). {@code line} is 1-based within {@code file}; {@code seq} is the line's seq where readable.
     */
    public record Problem(String file, Long line, Long seq, String kind, String detail) {}

    /** The same report with a problem found after the file checks (by the broker's database comparison). */
    public AuditReport broken(Problem problem) {
        return new AuditReport(BROKEN, lines, checkpoints, files, firstSeq, lastSeq, lastHash, lastCheckpointSeq,
                unsignedLines, signaturesChecked, problem);
    }
}
