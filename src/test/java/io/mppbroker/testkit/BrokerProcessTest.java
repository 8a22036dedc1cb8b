package io.mppbroker.testkit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** BrokerProcess against a stand-in jar (the real broker is tested by the black-box suite). */
class BrokerProcessTest {

    static Path jar;

    /** A manifest-only jar whose Class-Path points at the compiled test classes. */
    @BeforeAll
    static void buildStandInJar() throws Exception {
        Path classes = Path.of(StandInBrokerMain.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path dir = ProjectPaths.projectDir().resolve("target").resolve("standin-broker");
        Files.createDirectories(dir);
        jar = dir.resolve("standin-broker.jar");
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, StandInBrokerMain.class.getName());
        manifest.getMainAttributes().put(Attributes.Name.CLASS_PATH,
                dir.relativize(classes).toString().replace('\\', '/') + "/");
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream ignored = new JarOutputStream(out, manifest)) {
            // manifest only
        }
    }

    @Test
    void startsOnAFreePortWaitsForReadinessAndStopsGracefully() throws IOException {
        BrokerProcess broker = BrokerProcess.start("standin-ok", jar,
                Map.of("STANDIN_READY_AFTER_MS", "1500", "SOME_SETTING", "value-42"));
        try {
            HttpResponse<String> ready = HandPayer.get(broker.baseUrl() + "/q/health/ready");
            assertEquals(200, ready.statusCode(), "start() returns only once ready");
            assertEquals("value-42", HandPayer.get(broker.baseUrl() + "/env/SOME_SETTING").body());
            assertEquals(Integer.toString(broker.port()),
                    HandPayer.get(broker.baseUrl() + "/env/QUARKUS_HTTP_PORT").body());
            assertTrue(HandPayer.get(broker.baseUrl() + "/env/PATH").body().length() > 4, "inherits the env");
            assertTrue(broker.isAlive());
        } finally {
            broker.stop();
        }
        assertFalse(broker.isAlive());
        String log = Files.readString(broker.logFile());
        assertTrue(log.contains("stand-in listening on " + broker.port()), log);
        assertTrue(log.contains("stand-in shutting down gracefully"), "SIGTERM, not a kill: " + log);
        assertEquals(ProjectPaths.projectDir().resolve("target/it-logs/standin-ok.log"), broker.logFile());
    }

    @Test
    void failsFastWithTheOutputTailWhenTheProcessDies() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> BrokerProcess.start("standin-fail", jar, Map.of("STANDIN_FAIL", "no database configured")));

        assertTrue(e.getMessage().contains("exited with 3"), e.getMessage());
        assertTrue(e.getMessage().contains("no database configured"), e.getMessage());
    }

    @Test
    void missingJarIsReportedClearly() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> BrokerProcess.start("nojar", jar.resolveSibling("absent.jar"), Map.of()));
        assertTrue(e.getMessage().contains("absent.jar"), e.getMessage());
    }
}
