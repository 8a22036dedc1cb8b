package io.mppbroker.cli;

import io.mppbroker.database.DatabaseSource;
import io.mppbroker.database.EmbeddedDatabase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import org.eclipse.microprofile.config.Config;

/**
 * A read-only connection to the broker's database for the offline commands ({@code reconcile}, {@code replay}),
 * and the embedded server started for it, if one was. Where it is: {@code --jdbc-url}, else the broker's own
 * configuration (QUARKUS_DATASOURCE_JDBC_URL, _USERNAME, _PASSWORD, .env, application.properties), else the
 * embedded PostgreSQL under {@code --data-dir} (through the running broker's server if it is up).
 */
record BrokerDatabase(Connection connection, EmbeddedDatabase started) implements AutoCloseable {

    /**
     * {@code passwordEnv} names the environment variable holding the password: passwords are never given on the
     * command line, where other users could read them. Null arguments take the defaults above.
     */
    static BrokerDatabase open(String jdbcUrl, String user, String passwordEnv, Path dataDir, String applicationName)
            throws SQLException, IOException {
        Config config = DatabaseSource.environmentConfig();
        String dbUser = user != null ? user
                : config.getOptionalValue("quarkus.datasource.username", String.class).orElse(EmbeddedDatabase.USER);
        String passwordVariable = passwordEnv != null ? passwordEnv : "QUARKUS_DATASOURCE_PASSWORD";
        Optional<String> password = Optional.ofNullable(System.getenv(passwordVariable))
                .or(() -> passwordEnv == null ? config.getOptionalValue("quarkus.datasource.password", String.class)
                        : Optional.empty());
        if (jdbcUrl != null) {
            return new BrokerDatabase(connect(jdbcUrl, dbUser, password, applicationName), null);
        }
        DatabaseSource source = DatabaseSource.from(config);
        if (source instanceof DatabaseSource.External external) {
            return new BrokerDatabase(connect(external.jdbcUrl(), dbUser, password, applicationName), null);
        }
        Path cluster = dataDir != null ? dataDir.resolve("postgres").toAbsolutePath().normalize()
                : ((DatabaseSource.Embedded) source).directory();
        if (!Files.exists(cluster.resolve("PG_VERSION"))) {
            throw new IOException("no database configured (--jdbc-url or QUARKUS_DATASOURCE_JDBC_URL) and no embedded"
                    + " database at " + cluster);
        }
        Optional<Integer> running = runningPort(cluster);
        if (running.isPresent()) {
            // The broker is up and owns the server: read through it.
            return new BrokerDatabase(connect("jdbc:postgresql://localhost:" + running.get() + "/" + EmbeddedDatabase.DATABASE_NAME,
                    EmbeddedDatabase.USER, Optional.empty(), applicationName), null);
        }
        EmbeddedDatabase started = EmbeddedDatabase.start(cluster, 0);
        try {
            return new BrokerDatabase(connect(started.jdbcUrl(), EmbeddedDatabase.USER, Optional.empty(), applicationName), started);
        } catch (SQLException e) {
            started.close();
            throw e;
        }
    }

    /** Line 4 of postmaster.pid is the port of a live server. */
    private static Optional<Integer> runningPort(Path cluster) throws IOException {
        Path pid = cluster.resolve("postmaster.pid");
        if (!Files.exists(pid)) {
            return Optional.empty();
        }
        List<String> lines = Files.readAllLines(pid);
        if (lines.size() < 4) {
            return Optional.empty();
        }
        try {
            long process = Long.parseLong(lines.get(0).trim());
            if (ProcessHandle.of(process).map(ProcessHandle::isAlive).orElse(false)) {
                return Optional.of(Integer.parseInt(lines.get(3).trim()));
            }
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    /** The driver is used directly: DriverManager's service lookup does not see Quarkus's class loader. */
    private static Connection connect(String url, String user, Optional<String> password, String applicationName) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", user);
        password.ifPresent(p -> properties.setProperty("password", p));
        properties.setProperty("ApplicationName", applicationName);
        properties.setProperty("readOnly", "true");
        Connection connection = new org.postgresql.Driver().connect(url, properties);
        if (connection == null) {
            throw new SQLException("not a PostgreSQL JDBC URL: " + url.replaceAll("(?i)password=[^&;]*", "password=***"));
        }
        return connection;
    }

    @Override
    public void close() throws SQLException {
        try {
            connection.close();
        } finally {
            if (started != null) {
                started.close();
            }
        }
    }
}
