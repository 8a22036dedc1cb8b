package io.mppbroker.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the packaged broker ({@code java -jar <broker.jar>}, default {@code target/quarkus-app/quarkus-run.jar}) as
 * a separate process for black-box tests, on a free port, and waits until {@code /q/health/ready} answers 200.
 * Output (stdout and stderr) goes to {@code target/it-logs/<name>.log}.
 */
public final class BrokerProcess implements AutoCloseable {

    public static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(20);
    private static final java.util.concurrent.atomic.AtomicInteger STARTED = new java.util.concurrent.atomic.AtomicInteger();

    private final String name;
    private final Process process;
    private final int port;
    private final Path logFile;

    private BrokerProcess(String name, Process process, int port, Path logFile) {
        this.name = name;
        this.process = process;
        this.port = port;
        this.logFile = logFile;
    }

    /** Logs to {@code target/it-logs/broker-<n>.log}, n counting up per JVM so parallel brokers do not mix. */
    public static BrokerProcess start(Map<String, String> env) {
        return start("broker-" + STARTED.incrementAndGet(), env);
    }

    /**
     * @param name log file name ({@code target/it-logs/<name>.log})
     * @param env  added to the inherited environment; {@code QUARKUS_HTTP_PORT} is set to a free port unless given
     */
    public static BrokerProcess start(String name, Map<String, String> env) {
        return start(name, brokerJar(), env);
    }

    /** Runs another runnable jar the same way (the kit's own tests use a tiny stand-in). */
    public static BrokerProcess start(String name, Path jar, Map<String, String> env) {
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("broker jar not found: " + jar + " (run `./mvnw package` first)");
        }
        int port = env.containsKey("QUARKUS_HTTP_PORT") ? Integer.parseInt(env.get("QUARKUS_HTTP_PORT"))
                : freePort();
        Path log = ProjectPaths.logDir().resolve(name + ".log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-jar", jar.toString())
                .directory(ProjectPaths.projectDir().toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().putAll(env);
        pb.environment().put("QUARKUS_HTTP_PORT", Integer.toString(port));
        Process process;
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + jar, e);
        }
        BrokerProcess broker = new BrokerProcess(name, process, port, log);
        try {
            broker.awaitReady();
        } catch (RuntimeException e) {
            broker.stop();
            throw e;
        }
        return broker;
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    public Path logFile() {
        return logFile;
    }

    /** The last lines of the broker's output, for assertion messages. */
    public String outputTail(int lines) {
        return ProjectPaths.tail(logFile, lines);
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** SIGTERM (graceful Quarkus shutdown), then wait; kill only if it does not end in time. */
    public void stop() {
        if (!process.isAlive()) {
            return;
        }
        List<ProcessHandle> children = process.descendants().toList();
        process.destroy();
        try {
            if (!process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        children.forEach(ProcessHandle::destroyForcibly);
    }

    /** SIGKILL: the node dies at once, as in a crash or a lost machine (no shutdown hooks run). */
    public void kill() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Exit code after {@link #stop()}, or -1 while running. */
    public int exitCode() {
        return process.isAlive() ? -1 : process.exitValue();
    }

    @Override
    public void close() {
        stop();
    }

    private void awaitReady() {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest ready = HttpRequest.newBuilder(URI.create(baseUrl() + "/q/health/ready"))
                .timeout(Duration.ofSeconds(5)).GET().build();
        Instant deadline = Instant.now().plus(READY_TIMEOUT);
        String last = "no answer";
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with " + process.exitValue()
                        + " before it was ready; output tail:\n" + outputTail(60));
            }
            try {
                HttpResponse<String> response = http.send(ready, HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200) {
                    return;
                }
                last = "status " + response.statusCode() + ": " + response.body();
            } catch (IOException e) {
                last = e.getClass().getSimpleName();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + name, e);
            }
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + name, e);
            }
        }
        throw new IllegalStateException(name + " not ready within " + READY_TIMEOUT + " (last: " + last
                + "); output tail:\n" + outputTail(60));
    }

    static Path brokerJar() {
        String configured = System.getProperty("broker.jar");
        Path jar = configured != null && !configured.isBlank() ? Path.of(configured)
                : Path.of("target", "quarkus-app", "quarkus-run.jar");
        return jar.isAbsolute() ? jar : ProjectPaths.projectDir().resolve(jar);
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
