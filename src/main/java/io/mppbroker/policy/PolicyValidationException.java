package io.mppbroker.policy;

import java.nio.file.Path;
import java.util.List;

/** A policy file that cannot be used, with every problem found, each as {@code "<file>: <field path>: <what is wrong>"}. */
public class PolicyValidationException extends Exception {
    private final Path file;
    private final List<String> errors;

    public PolicyValidationException(Path file, List<String> errors) {
        super(errors.size() + (errors.size() == 1 ? " error" : " errors") + " in " + file + ":\n  " + String.join("\n  ", errors));
        this.file = file;
        this.errors = List.copyOf(errors);
    }

    public Path file() {
        return file;
    }

    public List<String> errors() {
        return errors;
    }
}
