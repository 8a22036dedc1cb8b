package io.mppbroker.audit;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;

@ConfigMapping(prefix = "broker.audit")
public interface AuditConfig {

    /** The JSONL audit file; one line per step, appended after the step's transaction commits. */
    @WithDefault("data/audit/audit.jsonl")
    Path file();
}
