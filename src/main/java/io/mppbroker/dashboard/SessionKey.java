package io.mppbroker.dashboard;

import io.mppbroker.cluster.WriteOnce;
import io.quarkus.runtime.configuration.ConfigUtils;
import io.smallrye.config.DotEnvConfigSourceProvider;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import org.eclipse.microprofile.config.Config;
import org.jboss.logging.Logger;

/**
 * The key that encrypts dashboard session cookies ({@code quarkus.http.auth.session.encryption-key}). When it is
 * not configured, Quarkus would make a temporary one on each start and print it in its log; instead the broker
 * keeps a random key in {@code <broker.data-dir>/dashboard-session.key} (created on first start, readable by
 * its owner only), so sessions survive a restart and no key is ever logged. Several nodes must share one key:
 * configure it explicitly there.
 */
public final class SessionKey {

    public static final String PROPERTY = "quarkus.http.auth.session.encryption-key";
    static final String FILE_NAME = "dashboard-session.key";
    private static final Logger LOG = Logger.getLogger(SessionKey.class);

    private SessionKey() {}

    /** Called from main before Quarkus starts: sets the key as a system property unless one is configured. */
    public static void ensureConfigured() {
        ClassLoader classLoader = Thread.currentThread().getContextClassLoader();
        Config config = ConfigUtils.emptyConfigBuilder()
                .withSources(DotEnvConfigSourceProvider.dotEnvSources(classLoader))
                .build();
        if (config.getOptionalValue(PROPERTY, String.class).filter(k -> !k.isBlank()).isPresent()) {
            return;
        }
        Path dir = Path.of(config.getOptionalValue("broker.data-dir", String.class).orElse("data"));
        try {
            System.setProperty(PROPERTY, readOrCreate(dir.resolve(FILE_NAME)));
        } catch (IOException e) {
            LOG.warnf("cannot keep the dashboard session key in %s (%s): dashboard sessions end at each restart",
                    dir.resolve(FILE_NAME), e.toString());
        }
    }

    static String readOrCreate(Path file) throws IOException {
        if (!Files.exists(file)) {
            byte[] random = new byte[32];
            new SecureRandom().nextBytes(random);
            // Another broker on the same (shared) data directory may create it at the same moment: one key wins.
            if (WriteOnce.create(file, Base64.getEncoder().encodeToString(random) + "\n")) {
                LOG.infof("created the dashboard session key file %s", file);
            }
        }
        String key = Files.readString(file, StandardCharsets.US_ASCII).strip();
        if (key.length() < 16) {
            throw new IOException(file + " holds fewer than 16 characters");
        }
        return key;
    }
}
