package io.mppbroker.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** {@code npm ci} in a node folder of integration-tests/ whose locked dependencies are not installed yet. */
final class NpmInstall {

    private static final Duration NPM_TIMEOUT = Duration.ofMinutes(5);
    private static final Object LOCK = new Object();

    private NpmInstall() {}

    /** @param installed files or folders that all exist once the dependencies are installed */
    static void ensure(Path dir, String logName, Path... installed) {
        synchronized (LOCK) {
            if (java.util.Arrays.stream(installed).allMatch(Files::exists)) {
                return;
            }
            Path log = ProjectPaths.logDir().resolve(logName);
            try {
                Process npm = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund").directory(dir.toFile())
                        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
                if (!npm.waitFor(NPM_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                    npm.descendants().forEach(ProcessHandle::destroy);
                    npm.destroyForcibly();
                    throw new IllegalStateException("npm ci timed out in " + dir);
                }
                if (npm.exitValue() != 0) {
                    throw new IllegalStateException("npm ci failed in " + dir + ":\n" + ProjectPaths.tail(log, 40));
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot run npm", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted during npm ci", e);
            }
        }
    }
}
