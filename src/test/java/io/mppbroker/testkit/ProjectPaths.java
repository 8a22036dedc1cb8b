package io.mppbroker.testkit;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the project lives: system property {@code broker.project.dir} (set by failsafe), else the working dir. */
final class ProjectPaths {

    private ProjectPaths() {
    }

    static Path projectDir() {
        String configured = System.getProperty("broker.project.dir");
        Path dir = configured != null && !configured.isBlank() ? Path.of(configured) : Path.of("");
        return dir.toAbsolutePath().normalize();
    }

    /** {@code target/it-logs}, created on demand. */
    static Path logDir() {
        Path dir = projectDir().resolve("target").resolve("it-logs");
        try {
            Files.createDirectories(dir);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return dir;
    }

    /** The last {@code lines} lines of a text file, for failure messages. */
    static String tail(Path file, int lines) {
        try {
            if (!Files.exists(file)) {
                return "(no output)";
            }
            var all = Files.readAllLines(file, java.nio.charset.StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (java.io.IOException | java.io.UncheckedIOException e) {
            return "(cannot read " + file + ": " + e.getMessage() + ")";
        }
    }
}
