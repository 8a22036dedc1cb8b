package io.mppbroker.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The unmodified mppx CLI from npm ({@code integration-tests/mppx-client}, mppx 0.11.0), the buyer side of MPP. Its
 * Stripe plugin mints the SPT with a form POST to {@code MPPX_STRIPE_SPT_URL} using {@code MPPX_STRIPE_SECRET_KEY}
 * as the key (Basic auth); pointed at the broker's gateway with the agent's broker token as that key, it mints
 * through the broker (docs/spt-drop-in.md). Installs the locked dependencies with {@code npm ci} on first use.
 */
public final class MppxClient {

    private static final Duration RUN_TIMEOUT = Duration.ofSeconds(120);
    private static final Object INSTALL_LOCK = new Object();
    private static int counter;

    private final String sptUrl;
    private final String agentToken;

    private MppxClient(String sptUrl, String agentToken) {
        this.sptUrl = sptUrl;
        this.agentToken = agentToken;
    }

    /** An mppx configured with the broker as its Stripe SPT endpoint and the agent's broker token as its Stripe key. */
    public static MppxClient throughBroker(String brokerBaseUrl, String agentToken) {
        return new MppxClient(brokerBaseUrl + "/stripe/v1/shared_payment/issued_tokens", agentToken);
    }

    /** What one {@code mppx <url>} run printed: exit code, stdout (with -i, the seller's response headers) and stderr. */
    public record Run(int exitCode, String stdout, String stderr) {

        /** The seller's {@code Payment-Receipt} header, from the response headers mppx prints with {@code -i}. */
        public Optional<String> paymentReceipt() {
            return stdout.lines()
                    .filter(l -> l.toLowerCase(Locale.ROOT).startsWith("payment-receipt:"))
                    .map(l -> l.substring(l.indexOf(':') + 1).strip())
                    .findFirst();
        }

        @Override
        public String toString() {
            return "exit " + exitCode + "\nstdout:\n" + stdout + "\nstderr:\n" + stderr;
        }
    }

    /**
     * {@code mppx <url> -i -M paymentMethod=pm_card_visa [curl-style options]}: fetches the URL and pays its Stripe
     * challenge. The payment method is mppx's own required option; the broker pays with the project's instead.
     */
    public Run fetch(String url, String... options) {
        Path dir = clientDir();
        ensureInstalled(dir);
        List<String> command = new ArrayList<>(List.of("node", "node_modules/mppx/dist/bin.js", url, "-i",
                "-M", "paymentMethod=pm_card_visa"));
        command.addAll(List.of(options));
        Path out;
        Path err;
        synchronized (INSTALL_LOCK) {
            int n = ++counter;
            out = ProjectPaths.logDir().resolve("mppx-client-" + n + ".out");
            err = ProjectPaths.logDir().resolve("mppx-client-" + n + ".err");
        }
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectOutput(out.toFile()).redirectError(err.toFile());
        // Passed by environment only: the token never appears on a command line.
        pb.environment().put("MPPX_STRIPE_SECRET_KEY", agentToken);
        pb.environment().put("MPPX_STRIPE_SPT_URL", sptUrl);
        pb.environment().put("NO_COLOR", "1");
        try {
            Process process = pb.start();
            if (!process.waitFor(RUN_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("mppx did not finish within " + RUN_TIMEOUT);
            }
            return new Run(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run node (is it installed?)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running mppx", e);
        }
    }

    static Path clientDir() {
        Path dir = ProjectPaths.projectDir().resolve("integration-tests").resolve("mppx-client");
        if (!Files.isRegularFile(dir.resolve("package.json"))) {
            throw new IllegalStateException("mppx client not found at " + dir + " (set -Dbroker.project.dir)");
        }
        return dir;
    }

    private static void ensureInstalled(Path dir) {
        NpmInstall.ensure(dir, "mppx-client-npm-ci.log",
                dir.resolve("node_modules").resolve("mppx").resolve("dist").resolve("bin.js"));
    }
}
