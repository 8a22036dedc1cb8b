package io.mppbroker.policy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What one scan of the budgets directory changed: projects added, replaced and removed, and every file
 * that is currently refused with its errors (an invalid file never replaces the version being served).
 */
public record ReloadReport(List<String> loaded, List<String> reloaded, List<String> removed,
                           Map<Path, List<String>> rejected) {
    public ReloadReport {
        loaded = List.copyOf(loaded);
        reloaded = List.copyOf(reloaded);
        removed = List.copyOf(removed);
        rejected = Map.copyOf(rejected);
    }

    public boolean changed() {
        return !loaded.isEmpty() || !reloaded.isEmpty() || !removed.isEmpty();
    }
}
