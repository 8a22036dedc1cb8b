package io.mppbroker.policy;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;

/** Where the per-project policy files live and how often the directory is re-scanned. */
@ConfigMapping(prefix = "broker.budgets")
public interface BudgetsConfig {
    /** Directory of {@code <project>.yaml} files; relative paths resolve against the working directory. */
    @WithDefault("budgets")
    Path dir();

    /** Poll interval for picking up changed, added and deleted files (the @Scheduled poll reads the same key). */
    @WithDefault("2s")
    Duration reloadInterval();
}
