package io.mppbroker.policy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Offline validation of policy files, as {@code policy validate} runs it: one file on its own, or a budgets
 * directory the way {@link PolicyRegistry} loads it at startup (same file selection, file-name order, a second
 * file for a project and a token hash reused across projects are refused).
 */
public final class PolicyFiles {

    /** One file's outcome: the policy when usable, else every error as {@code "<file>: <field>: <what>"}. */
    public record Checked(Path file, Optional<ProjectPolicy> policy, List<String> errors) {
        public Checked {
            errors = List.copyOf(errors);
        }

        public boolean valid() {
            return errors.isEmpty();
        }
    }

    private PolicyFiles() {}

    /** A single file, or every policy file of a directory (see {@link PolicyRegistry#isPolicyFileName}). */
    public static List<Checked> check(Path fileOrDirectory) throws IOException {
        if (!Files.isDirectory(fileOrDirectory)) return List.of(checkOne(fileOrDirectory));
        List<Path> files;
        try (Stream<Path> entries = Files.list(fileOrDirectory)) {
            files = entries.filter(p -> PolicyRegistry.isPolicyFileName(p.getFileName().toString()))
                    .filter(Files::isRegularFile)
                    .sorted(Comparator.comparing(p -> p.getFileName().toString()))
                    .toList();
        }
        Map<String, ProjectPolicy> accepted = new LinkedHashMap<>();
        List<Checked> result = new ArrayList<>();
        for (Path file : files) {
            Checked one = checkOne(file);
            if (one.policy().isPresent()) {
                ProjectPolicy p = one.policy().get();
                ProjectPolicy first = accepted.get(p.project());
                List<String> conflicts = first != null
                        ? List.of(file + ": project: project " + p.project() + " is already defined by " + first.source())
                        : PolicyRegistry.tokenConflicts(p, accepted.values());
                if (!conflicts.isEmpty()) {
                    one = new Checked(file, Optional.empty(), conflicts);
                } else {
                    accepted.put(p.project(), p);
                }
            }
            result.add(one);
        }
        return result;
    }

    private static Checked checkOne(Path file) {
        try {
            return new Checked(file, Optional.of(PolicyLoader.load(file)), List.of());
        } catch (PolicyValidationException e) {
            return new Checked(file, Optional.empty(), e.errors());
        }
    }
}
