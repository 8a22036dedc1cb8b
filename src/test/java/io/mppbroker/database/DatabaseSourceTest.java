package io.mppbroker.database;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.Map;

import org.eclipse.microprofile.config.Config;
import org.junit.jupiter.api.Test;

import io.smallrye.config.EnvConfigSource;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;

class DatabaseSourceTest {

    private static Config properties(String profile, Map<String, String> values) {
        return new SmallRyeConfigBuilder()
                .addDefaultInterceptors() // profiles and ${...} expansion, as in Quarkus
                .withProfile(profile)
                .withSources(new PropertiesConfigSource(values, "application.properties", 250))
                .build();
    }

    @Test
    void noUrlMeansEmbeddedUnderTheDefaultDataDirectory() {
        DatabaseSource source = DatabaseSource.from(properties("prod", Map.of()));

        assertEquals(new DatabaseSource.Embedded(Path.of("data", "postgres").toAbsolutePath(), 0), source);
    }

    @Test
    void embeddedClusterLivesUnderTheConfiguredDataDirectoryAndPort() {
        DatabaseSource source = DatabaseSource.from(properties("prod",
                Map.of("broker.data-dir", "/srv/broker/../broker", "broker.embedded-db.port", "55432")));

        assertEquals(new DatabaseSource.Embedded(Path.of("/srv/broker/postgres"), 55432), source);
    }

    @Test
    void configuredUrlMeansExternal() {
        DatabaseSource source = DatabaseSource.from(properties("prod",
                Map.of("quarkus.datasource.jdbc.url", "jdbc:postgresql://db:5432/broker")));

        assertEquals(new DatabaseSource.External("jdbc:postgresql://db:5432/broker"), source);
    }

    @Test
    void standardEnvironmentVariableMeansExternal() {
        Config config = new SmallRyeConfigBuilder()
                .addDefaultInterceptors()
                .withSources(new EnvConfigSource(
                        Map.of("QUARKUS_DATASOURCE_JDBC_URL", "jdbc:postgresql://db:5432/broker"), 300))
                .build();

        assertEquals(new DatabaseSource.External("jdbc:postgresql://db:5432/broker"), DatabaseSource.from(config));
    }

    @Test
    void urlOfAnotherProfileDoesNotCount() {
        Map<String, String> values = Map.of("%test.quarkus.datasource.jdbc.url", "jdbc:postgresql://127.0.0.1/t");

        assertInstanceOf(DatabaseSource.Embedded.class, DatabaseSource.from(properties("prod", values)));
        assertEquals(new DatabaseSource.External("jdbc:postgresql://127.0.0.1/t"),
                DatabaseSource.from(properties("test", values)));
    }

    @Test
    void emptyUrlMeansEmbedded() {
        DatabaseSource source = DatabaseSource.from(properties("prod", Map.of("quarkus.datasource.jdbc.url", "")));

        assertInstanceOf(DatabaseSource.Embedded.class, source);
    }

    @Test
    void urlReferringToAnUnsetVariableIsStillExternal() {
        DatabaseSource source = DatabaseSource.from(properties("prod",
                Map.of("quarkus.datasource.jdbc.url", "${BROKER_TEST_UNSET_DB_URL}")));

        assertEquals(new DatabaseSource.External("${BROKER_TEST_UNSET_DB_URL}"), source);
    }

    @Test
    void redactedUrlHidesPasswords() {
        assertEquals("jdbc:postgresql://db:5432/broker?user=app&password=***&ssl=true",
                new DatabaseSource.External("jdbc:postgresql://db:5432/broker?user=app&password=s3cret&ssl=true")
                        .redactedUrl());
        assertEquals("jdbc:postgresql://***@db/broker",
                new DatabaseSource.External("jdbc:postgresql://app:s3cret@db/broker").redactedUrl());
        assertEquals("jdbc:postgresql://db/broker",
                new DatabaseSource.External("jdbc:postgresql://db/broker").redactedUrl());
    }

    @Test
    void processConfigurationHonoursSystemProperty() {
        String key = "quarkus.datasource.jdbc.url";
        String previous = System.getProperty(key);
        System.setProperty(key, "jdbc:postgresql://sysprop-host/broker");
        try {
            assertEquals(new DatabaseSource.External("jdbc:postgresql://sysprop-host/broker"),
                    DatabaseSource.fromEnvironment());
        } finally {
            restore(key, previous);
        }
    }

    @Test
    void processConfigurationReadsApplicationPropertiesForTheActiveProfile() {
        assumeTrue(System.getenv("QUARKUS_DATASOURCE_JDBC_URL") == null
                && System.getProperty("quarkus.datasource.jdbc.url") == null, "an external URL overrides the file");
        String previous = System.getProperty("quarkus.profile");
        System.setProperty("quarkus.profile", "test");
        try {
            // src/main/resources/application.properties sets %test.quarkus.datasource.jdbc.url
            String expected = System.getenv().getOrDefault("BROKER_TEST_DB_URL", "jdbc:postgresql://127.0.0.1:5432/mpp_broker_test");
            assertEquals(new DatabaseSource.External(expected), DatabaseSource.fromEnvironment());
        } finally {
            restore("quarkus.profile", previous);
        }
    }

    private static void restore(String key, String previous) {
        if (previous == null) {
            System.clearProperty(key);
        } else {
            System.setProperty(key, previous);
        }
    }
}
