package io.mppbroker.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.SQLException;
import picocli.CommandLine.Option;

/** Where the offline commands that read the broker's database find it (a picocli mixin; see {@link BrokerDatabase}). */
final class DatabaseOptions {

    @Option(names = "--jdbc-url", paramLabel = "<url>", description = "PostgreSQL JDBC URL, e.g. jdbc:postgresql://db:5432/mpp_broker.")
    String jdbcUrl;

    @Option(names = "--user", paramLabel = "<name>", description = "Database user (default: QUARKUS_DATASOURCE_USERNAME).")
    String user;

    @Option(names = "--password-env", paramLabel = "<variable>", description = "Environment variable holding the database password"
            + " (default: QUARKUS_DATASOURCE_PASSWORD). Never given on the command line, where other users could read it.")
    String passwordEnv;

    @Option(names = "--data-dir", paramLabel = "<dir>", description = "The broker's data directory, for the embedded database (default: broker.data-dir, data).")
    Path dataDir;

    BrokerDatabase open(String applicationName) throws SQLException, IOException {
        return BrokerDatabase.open(jdbcUrl, user, passwordEnv, dataDir, applicationName);
    }
}
