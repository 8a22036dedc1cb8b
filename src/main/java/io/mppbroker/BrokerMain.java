package io.mppbroker;

import java.io.IOException;
import java.time.Duration;

import org.jboss.logging.Logger;

import io.mppbroker.cli.BrokerCli;
import io.mppbroker.dashboard.SessionKey;
import io.mppbroker.database.DatabaseSource;
import io.mppbroker.database.EmbeddedDatabase;
import io.quarkus.runtime.Application;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;

/**
 * Entry point of the packaged broker. With no datasource URL configured it first starts an embedded PostgreSQL
 * whose files persist under {@code broker.data-dir}, so the broker runs with no setup; with a URL configured
 * Quarkus connects to that server as usual. Quarkus tests do not go through here. A first argument naming a
 * command ({@code audit verify ...}) runs that command instead, without starting anything.
 */
@QuarkusMain
public class BrokerMain {

    private static final Logger LOG = Logger.getLogger(BrokerMain.class);
    /** Upper bound on waiting for Quarkus to stop before the embedded server is stopped under it anyway. */
    private static final Duration QUARKUS_STOP_WAIT = Duration.ofSeconds(30);

    /** Set once the embedded server runs; dev mode calls main again in the same JVM on every live reload. */
    private static final String RUNNING_EMBEDDED = "broker.embedded-db.running-at";

    public static void main(String... args) throws IOException {
        if (BrokerCli.handles(args)) {
            // An offline command (e.g. `audit verify`): no server, no database.
            System.exit(BrokerCli.run(args));
        }
        String runningAt = System.getProperty(RUNNING_EMBEDDED);
        if (runningAt != null) {
            // The URL set below is still in the system properties and points at the server started earlier.
            LOG.infof("using embedded PostgreSQL at %s (started earlier in this JVM)", runningAt);
            Quarkus.run(args);
            return;
        }
        SessionKey.ensureConfigured();
        DatabaseSource source = DatabaseSource.fromEnvironment();
        if (source instanceof DatabaseSource.External external) {
            LOG.infof("using external PostgreSQL %s", external.redactedUrl());
        } else if (source instanceof DatabaseSource.Embedded embedded) {
            EmbeddedDatabase database = EmbeddedDatabase.start(embedded.directory(), embedded.port());
            // System properties outrank environment variables and application.properties in Quarkus's config.
            System.setProperty(DatabaseSource.URL_PROPERTY, database.jdbcUrl());
            System.setProperty("quarkus.datasource.username", EmbeddedDatabase.USER);
            // The embedded cluster uses trust authentication; the value only overrides any configured password.
            System.setProperty("quarkus.datasource.password", EmbeddedDatabase.USER);
            System.setProperty(RUNNING_EMBEDDED, database.directory().toString());
            Runtime.getRuntime().addShutdownHook(new Thread(() -> stopAfterQuarkus(database), "embedded-postgres-stop"));
            LOG.infof("using embedded PostgreSQL at %s (port %d)", database.directory(), database.port());
        }
        Quarkus.run(args);
    }

    /**
     * Quarkus stops in its own shutdown hook (SIGTERM) or on its main thread before System.exit; either way the
     * database must outlive it so in-flight work and pool shutdown do not hit a dead server.
     */
    private static void stopAfterQuarkus(EmbeddedDatabase database) {
        Application application = Application.currentApplication();
        if (application != null) {
            Thread waiter = new Thread(application::awaitShutdown, "await-quarkus-stop");
            waiter.setDaemon(true);
            waiter.start();
            try {
                waiter.join(QUARKUS_STOP_WAIT.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        database.close();
    }
}
