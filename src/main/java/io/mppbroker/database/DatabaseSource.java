package io.mppbroker.database;

import java.nio.file.Path;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.regex.Pattern;

import org.eclipse.microprofile.config.Config;

import io.quarkus.runtime.configuration.ConfigUtils;
import io.smallrye.config.DotEnvConfigSourceProvider;

/**
 * Where the broker's PostgreSQL comes from. Decided once, before Quarkus starts: an external server when the
 * standard Quarkus datasource URL is configured, otherwise an embedded server whose files live under
 * {@code <broker.data-dir>/postgres}.
 */
public sealed interface DatabaseSource {

    String URL_PROPERTY = "quarkus.datasource.jdbc.url";
    String DATA_DIR_PROPERTY = "broker.data-dir";
    String PORT_PROPERTY = "broker.embedded-db.port";
    String DEFAULT_DATA_DIR = "data";

    /** The datasource URL is configured: Quarkus connects there and no embedded server starts. */
    record External(String jdbcUrl) implements DatabaseSource {
        private static final Pattern PASSWORD_PARAM = Pattern.compile("(?i)([?&;]password=)[^&;]*");
        private static final Pattern USER_INFO = Pattern.compile("//[^/@?]*@");

        /** The URL for logs: a password given as URL parameter or user info is masked. */
        public String redactedUrl() {
            String masked = PASSWORD_PARAM.matcher(jdbcUrl).replaceAll("$1***");
            return USER_INFO.matcher(masked).replaceFirst("//***@");
        }
    }

    /**
     * No datasource URL: an embedded server keeps its cluster in {@code directory}; {@code port} 0 means any
     * free port (the URL is handed to Quarkus on every start, so it need not be stable).
     */
    record Embedded(Path directory, int port) implements DatabaseSource {
    }

    /**
     * The decision as a pure function of a configuration, so it can be tested without the process environment.
     * An empty URL counts as not configured (SmallRye Config treats empty values as missing).
     */
    static DatabaseSource from(Config config) {
        Optional<String> url = configuredUrl(config);
        if (url.isPresent()) {
            return new External(url.get());
        }
        String dataDir = config.getOptionalValue(DATA_DIR_PROPERTY, String.class).orElse(DEFAULT_DATA_DIR);
        int port = config.getOptionalValue(PORT_PROPERTY, Integer.class).orElse(0);
        return new Embedded(Path.of(dataDir).resolve("postgres").toAbsolutePath().normalize(), port);
    }

    private static Optional<String> configuredUrl(Config config) {
        try {
            Optional<String> url = config.getOptionalValue(URL_PROPERTY, String.class);
            if (url.isPresent()) {
                return url;
            }
        } catch (NoSuchElementException | IllegalArgumentException unresolvable) {
            // falls through to the raw value
        }
        // url=${DB_URL} with DB_URL unset resolves to nothing, yet the user asked for an external database:
        // leave it to Quarkus to report rather than silently starting an embedded one.
        String raw = config.getConfigValue(URL_PROPERTY).getRawValue();
        return raw == null || raw.isBlank() ? Optional.empty() : Optional.of(raw);
    }

    /**
     * The decision for this process. Called from {@code main} before Quarkus runs, so Quarkus's own configuration
     * does not exist yet. {@code ConfigProvider.getConfig()} would build and register a config for the class
     * loader that Quarkus then has to replace, so instead a private, unregistered config is built with Quarkus's
     * builder: system properties, environment variables, {@code .env}, {@code config/application.properties} in
     * the working directory and {@code application.properties} on the class path, with profile-specific keys
     * ({@code %prod.}, {@code %dev.}, or {@code quarkus.profile}) resolved as Quarkus resolves them.
     * Sources contributed by extensions (none of them hold the datasource URL here) are not consulted.
     */
    static DatabaseSource fromEnvironment() {
        return from(environmentConfig());
    }

    /** The configuration as {@link #fromEnvironment()} reads it, for offline commands that need more keys of it. */
    static Config environmentConfig() {
        ClassLoader classLoader = Thread.currentThread().getContextClassLoader();
        return ConfigUtils.emptyConfigBuilder()
                .withSources(DotEnvConfigSourceProvider.dotEnvSources(classLoader))
                .build();
    }
}
