package io.mppbroker.dashboard;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** The approvers' web dashboard (docs/dashboard.md). */
@ConfigMapping(prefix = "broker.dashboard")
public interface DashboardConfig {

    /**
     * htpasswd-format file of dashboard logins: one {@code approver-id:bcrypt-hash} line per approver
     * ({@code htpasswd -B -C 12 FILE APPROVER_ID}). Relative paths resolve against the working directory.
     * A missing file means nobody can log in.
     */
    @WithDefault("dashboard.htpasswd")
    Path accountsFile();

    /**
     * Origins (scheme://host[:port]) that may send the dashboard's POSTs besides the host the request was
     * addressed to, e.g. the public https origin when a proxy rewrites the Host header.
     */
    Optional<List<String>> allowedOrigins();

    /** How many decided approvals the live list shows besides the ones still waiting. */
    @WithDefault("20")
    int recentDecisions();

    /**
     * An event stream is closed after this long and the browser reconnects at once: the reconnect
     * re-checks the session, so a removed account stops seeing updates within this time.
     */
    @WithDefault("5m")
    Duration streamMaxAge();
}
