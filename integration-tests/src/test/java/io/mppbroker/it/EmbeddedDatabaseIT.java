package io.mppbroker.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Zero-setup start: the packaged broker, run with no datasource configured, brings up its own PostgreSQL whose
 * data survives a restart (clean stop and kill -9).
 */
class EmbeddedDatabaseIT {

    private static final Duration READY_TIMEOUT = Duration.ofSeconds(120);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @TempDir
    Path workDir;

    private final List<Process> started = new ArrayList<>();
    private int httpPort;
    private int dbPort;

    @AfterEach
    void stopEverything() throws Exception {
        for (Process process : started) {
            if (process.isAlive()) {
                process.destroy();
                process.waitFor(30, TimeUnit.SECONDS);
            }
        }
        // A server orphaned by the kill -9 step must not outlive a failed test.
        Path pidFile = dataDir().resolve("postgres").resolve("postmaster.pid");
        if (Files.exists(pidFile)) {
            long pid = Long.parseLong(Files.readAllLines(pidFile).get(0).trim());
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
        }
    }

    @Test
    void startsOnEmbeddedPostgresAndKeepsDataAcrossRestarts() throws Exception {
        httpPort = freePort();
        dbPort = freePort();

        Process first = startBroker("first.log");
        awaitReadyWithDatabase(first, "first.log");
        String log = Files.readString(workDir.resolve("first.log"));
        assertTrue(log.contains("using embedded PostgreSQL at " + dataDir().resolve("postgres")), log);
        assertTrue(Files.isRegularFile(dataDir().resolve("postgres").resolve("PG_VERSION")),
                "the data directory holds a PostgreSQL cluster");
        try (Connection db = connect(); Statement statement = db.createStatement()) {
            assertTrue(tableExists(statement, "flyway_schema_history"), "Flyway ran at start");
            statement.execute("CREATE TABLE it_restart_probe (note text)");
            statement.execute("INSERT INTO it_restart_probe VALUES ('written before restart')");
        }

        first.destroy(); // SIGTERM, as a service manager or Ctrl+C would stop it
        assertTrue(first.waitFor(60, TimeUnit.SECONDS), "broker stops on SIGTERM");
        assertFalse(Files.exists(dataDir().resolve("postgres").resolve("postmaster.pid")),
                "embedded PostgreSQL is shut down with the broker");

        Process second = startBroker("second.log");
        awaitReadyWithDatabase(second, "second.log");
        assertEquals("written before restart", probeNote());

        second.destroyForcibly(); // kill -9: no shutdown hooks, PostgreSQL is left running
        second.waitFor(30, TimeUnit.SECONDS);

        Process third = startBroker("third.log");
        awaitReadyWithDatabase(third, "third.log");
        String thirdLog = Files.readString(workDir.resolve("third.log"));
        assertTrue(thirdLog.contains("left running on " + dataDir().resolve("postgres")),
                "the server orphaned by kill -9 was found and stopped:\n" + thirdLog);
        assertEquals("written before restart", probeNote());
    }

    private Path dataDir() {
        return workDir.resolve("broker-data");
    }

    private Process startBroker(String logName) throws IOException {
        String jar = System.getProperty("broker.jar");
        if (jar == null || !Files.isRegularFile(Path.of(jar))) {
            fail("system property broker.jar must name the packaged broker, got " + jar);
        }
        ProcessBuilder builder = new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dbroker.data-dir=" + dataDir(),
                "-Dbroker.embedded-db.port=" + dbPort,
                "-Dquarkus.http.port=" + httpPort,
                "-jar", jar)
                .directory(workDir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(workDir.resolve(logName).toFile());
        // No datasource of any kind: the broker must provide its own.
        builder.environment().keySet().removeIf(name -> name.startsWith("QUARKUS_DATASOURCE")
                || name.equals("QUARKUS_PROFILE"));
        Process process = builder.start();
        started.add(process);
        return process;
    }

    private void awaitReadyWithDatabase(Process broker, String logName) throws Exception {
        Instant deadline = Instant.now().plus(READY_TIMEOUT);
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/q/health/ready"))
                .timeout(Duration.ofSeconds(5)).build();
        String last = "no answer";
        while (Instant.now().isBefore(deadline)) {
            if (!broker.isAlive()) {
                fail("broker exited with " + broker.exitValue() + ":\n" + Files.readString(workDir.resolve(logName)));
            }
            try {
                HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
                last = response.statusCode() + " " + response.body();
                if (response.statusCode() == 200) {
                    JsonNode health = new ObjectMapper().readTree(response.body());
                    assertEquals("UP", health.path("status").asText());
                    boolean databaseUp = false;
                    for (JsonNode check : health.path("checks")) {
                        databaseUp |= check.path("name").asText().contains("Database")
                                && "UP".equals(check.path("status").asText());
                    }
                    assertTrue(databaseUp, "readiness reports the database: " + response.body());
                    return;
                }
            } catch (IOException notListeningYet) {
                last = notListeningYet.toString();
            }
            Thread.sleep(500);
        }
        fail("broker not ready within " + READY_TIMEOUT + " (last: " + last + "):\n"
                + Files.readString(workDir.resolve(logName)));
    }

    private Connection connect() throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://localhost:" + dbPort + "/mpp_broker", "postgres", "");
    }

    private String probeNote() throws SQLException {
        try (Connection db = connect(); Statement statement = db.createStatement();
             ResultSet rows = statement.executeQuery("SELECT note FROM it_restart_probe")) {
            assertTrue(rows.next(), "row written before the restart is still there");
            return rows.getString(1);
        }
    }

    private static boolean tableExists(Statement statement, String table) throws SQLException {
        try (ResultSet rows = statement.executeQuery("SELECT to_regclass('public." + table + "') IS NOT NULL")) {
            rows.next();
            return rows.getBoolean(1);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
