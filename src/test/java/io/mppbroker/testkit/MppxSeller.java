package io.mppbroker.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs {@code integration-tests/mppx-seller/seller.mjs}: a seller on the reference TypeScript SDK (mppx 0.11.0)
 * with its Stripe charge method pointed at a {@link FakeStripe}. Routes (see seller.mjs):
 * {@code GET /paid/report} 250 usd, {@code POST /paid/echo} 100 usd, {@code GET /paid/multi} 250 usd or 230 eur
 * in one header line, {@code GET /paid/auth-header} 75 usd with {@code header="Payment-Authorization"},
 * {@code GET /free}, {@code GET /__payments}.
 * <p>
 * Installs the locked dependencies with {@code npm ci} on first use. Output goes to
 * {@code target/it-logs/mppx-seller-<n>.log}; the Stripe key is passed by environment and never printed.
 */
public final class MppxSeller implements AutoCloseable {

    public static final String DEFAULT_NETWORK_ID = "profile_test_mppx";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    private static final Object INSTALL_LOCK = new Object();
    private static int counter;

    private final Process process;
    private final String baseUrl;
    private final String stripeSecretKey;
    private final String networkId;
    private final Path logFile;

    private MppxSeller(Process process, String baseUrl, String stripeSecretKey, String networkId, Path logFile) {
        this.process = process;
        this.baseUrl = baseUrl;
        this.stripeSecretKey = stripeSecretKey;
        this.networkId = networkId;
        this.logFile = logFile;
    }

    public static MppxSeller start(String fakeStripeBaseUrl) {
        return start(fakeStripeBaseUrl, Map.of());
    }

    /**
     * @param extraEnv overrides for seller.mjs: {@code STRIPE_SECRET_KEY}, {@code MPP_NETWORK_ID},
     *                 {@code MPP_SECRET_KEY}, {@code MPP_REALM}
     */
    public static MppxSeller start(String fakeStripeBaseUrl, Map<String, String> extraEnv) {
        Path dir = sellerDir();
        ensureInstalled(dir);
        Map<String, String> env = new HashMap<>();
        env.put("FAKE_STRIPE_URL", fakeStripeBaseUrl);
        env.put("STRIPE_SECRET_KEY", "sk_test_mppx_seller_" + FakeStripe.randomId(16));
        env.put("MPP_NETWORK_ID", DEFAULT_NETWORK_ID);
        env.putAll(extraEnv);
        Path log;
        synchronized (INSTALL_LOCK) {
            log = ProjectPaths.logDir().resolve("mppx-seller-" + (++counter) + ".log");
        }
        ProcessBuilder pb = new ProcessBuilder("node", "seller.mjs").directory(dir.toFile())
                .redirectErrorStream(true);
        pb.environment().putAll(env);
        Process process;
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run node (is it installed?)", e);
        }
        CompletableFuture<Integer> port = new CompletableFuture<>();
        Thread pump = new Thread(() -> pump(process, log, port), "mppx-seller-output");
        pump.setDaemon(true);
        pump.start();
        try {
            int p = port.get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            return new MppxSeller(process, "http://127.0.0.1:" + p, env.get("STRIPE_SECRET_KEY"),
                    env.get("MPP_NETWORK_ID"), log);
        } catch (TimeoutException | ExecutionException e) {
            destroyTree(process);
            throw new IllegalStateException("mppx seller did not print LISTENING within " + START_TIMEOUT
                    + "; output:\n" + ProjectPaths.tail(log, 40), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            destroyTree(process);
            throw new IllegalStateException("interrupted while starting the mppx seller", e);
        }
    }

    /** True when a {@code node} executable answers; the mppx tests are skipped only when it does not. */
    public static boolean nodeAvailable() {
        try {
            Process p = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    public String baseUrl() {
        return baseUrl;
    }

    /** The seller's Stripe key (its account at the fake), e.g. for {@link FakeStripe#bindSellerProfile}. */
    public String stripeSecretKey() {
        return stripeSecretKey;
    }

    public String networkId() {
        return networkId;
    }

    public Path logFile() {
        return logFile;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    @Override
    public void close() {
        destroyTree(process);
    }

    static Path sellerDir() {
        Path dir = ProjectPaths.projectDir().resolve("integration-tests").resolve("mppx-seller");
        if (!Files.isRegularFile(dir.resolve("seller.mjs"))) {
            throw new IllegalStateException("mppx seller not found at " + dir
                    + " (set -Dbroker.project.dir to the project root)");
        }
        return dir;
    }

    private static void ensureInstalled(Path dir) {
        NpmInstall.ensure(dir, "mppx-seller-npm-ci.log", dir.resolve("node_modules").resolve("mppx"),
                dir.resolve("node_modules").resolve("stripe"));
    }

    private static void pump(Process process, Path log, CompletableFuture<Integer> port) {
        try (BufferedReader reader = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
             Writer out = Files.newBufferedWriter(log, StandardCharsets.UTF_8)) {
            String line;
            while ((line = reader.readLine()) != null) {
                out.write(line);
                out.write('\n');
                out.flush();
                if (!port.isDone() && line.startsWith("LISTENING ")) {
                    port.complete(Integer.parseInt(line.substring("LISTENING ".length()).trim()));
                }
            }
        } catch (IOException | NumberFormatException e) {
            port.completeExceptionally(e);
        }
        port.completeExceptionally(new IllegalStateException("mppx seller exited before listening"));
    }

    private static void destroyTree(Process process) {
        List<ProcessHandle> children = process.descendants().toList();
        process.destroy();
        children.forEach(ProcessHandle::destroy);
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                children.forEach(ProcessHandle::destroyForcibly);
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
