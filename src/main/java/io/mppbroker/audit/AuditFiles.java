package io.mppbroker.audit;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The audit files on disk. The broker appends to one live file ({@code audit.jsonl}); when it grows past
 * {@code broker.audit.max-file-bytes} it is renamed to {@code audit-<first seq, 12 digits>.jsonl} and a new live
 * file starts. The chain runs on across files, so the order of files is: rotated files by their number, then
 * the live file.
 */
public final class AuditFiles {

    private static final Pattern ROTATED = Pattern.compile("(.+)-(\\d+)(\\.[^.]+)");

    private AuditFiles() {}

    /** Name a live file gets when rotated: {@code <stem>-<first seq>.<ext>}. */
    public static Path rotatedName(Path live, long firstSeq) {
        String name = live.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String stem = dot > 0 ? name.substring(0, dot) : name;
        String ext = dot > 0 ? name.substring(dot) : "";
        return live.resolveSibling(stem + "-" + String.format("%012d", firstSeq) + ext);
    }

    /** The broker's own chain: the rotated files of {@code live}, oldest first, then {@code live} if it exists. */
    public static List<Path> chainOf(Path live) throws IOException {
        Path dir = live.toAbsolutePath().getParent();
        String name = live.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String stem = dot > 0 ? name.substring(0, dot) : name;
        String ext = dot > 0 ? name.substring(dot) : "";
        List<Path> files = new ArrayList<>();
        if (Files.isDirectory(dir)) {
            try (Stream<Path> list = Files.list(dir)) {
                list.filter(Files::isRegularFile).forEach(p -> {
                    Matcher m = ROTATED.matcher(p.getFileName().toString());
                    if (m.matches() && m.group(1).equals(stem) && m.group(3).equals(ext)) files.add(p);
                });
            }
        }
        files.sort(Comparator.comparing(AuditFiles::rotationNumber));
        Path absoluteLive = live.toAbsolutePath();
        if (Files.isRegularFile(absoluteLive)) files.add(absoluteLive);
        return files;
    }

    /** Every {@code *.jsonl} file directly in {@code dir}: rotated ones ({@code name-<digits>.jsonl}) by number, then the rest by name. */
    public static List<Path> inDirectory(Path dir) throws IOException {
        List<Path> rotated = new ArrayList<>();
        List<Path> live = new ArrayList<>();
        try (Stream<Path> list = Files.list(dir)) {
            list.filter(p -> Files.isRegularFile(p) && p.getFileName().toString().endsWith(".jsonl")).forEach(p ->
                    (ROTATED.matcher(p.getFileName().toString()).matches() ? rotated : live).add(p));
        }
        rotated.sort(Comparator.comparing(AuditFiles::rotationNumber).thenComparing(Path::toString));
        live.sort(Comparator.comparing(Path::toString));
        rotated.addAll(live);
        return rotated;
    }

    private static java.math.BigInteger rotationNumber(Path p) {
        Matcher m = ROTATED.matcher(p.getFileName().toString());
        return m.matches() ? new java.math.BigInteger(m.group(2)) : java.math.BigInteger.ZERO;
    }

    /** One line of a JSONL file: 1-based number, bytes without the newline, whether a newline ended it. */
    public record RawLine(long number, byte[] bytes, boolean terminated) {}

    /** Reads a JSONL file line by line, keeping track of an unterminated last line. */
    public static final class LineReader implements Closeable {
        private final InputStream in;
        private long number;

        public LineReader(Path file) throws IOException {
            this.in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        }

        /** The next line, or null at the end of the file. */
        public RawLine next() throws IOException {
            ByteArrayOutputStream line = new ByteArrayOutputStream(512);
            int b;
            while ((b = in.read()) != -1) {
                if (b == '\n') {
                    return new RawLine(++number, line.toByteArray(), true);
                }
                line.write(b);
            }
            return line.size() == 0 ? null : new RawLine(++number, line.toByteArray(), false);
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    /** The last line of a file (terminated or not), read from the end; empty for an empty file. */
    public static Optional<RawLine> lastLine(Path file) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
            long length = raf.length();
            if (length == 0) return Optional.empty();
            raf.seek(length - 1);
            boolean terminated = raf.read() == '\n';
            long end = terminated ? length - 1 : length;
            long start = end;
            byte[] one = new byte[1];
            while (start > 0) {
                raf.seek(start - 1);
                raf.readFully(one);
                if (one[0] == '\n') break;
                start--;
            }
            byte[] bytes = new byte[(int) (end - start)];
            raf.seek(start);
            raf.readFully(bytes);
            return Optional.of(new RawLine(-1, bytes, terminated));
        }
    }
}
