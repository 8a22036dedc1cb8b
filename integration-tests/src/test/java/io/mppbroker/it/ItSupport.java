package io.mppbroker.it;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;

/** What every black-box test needs: its own PostgreSQL database, token hashes, and waiting for a condition. */
final class ItSupport {

    /** The machine's PostgreSQL; each test class creates a database of its own there (-Dit.pg.* to change). */
    static final String PG = System.getProperty("it.pg.url", "jdbc:postgresql://127.0.0.1:5432/");
    static final String PG_USER = System.getProperty("it.pg.user", "postgres");
    static final String PG_PASSWORD = System.getProperty("it.pg.password", "postgres");

    private ItSupport() {}

    /** Creates a fresh database named {@code <prefix>_<random>} and returns its name. */
    static String createDatabase(String prefix) throws SQLException {
        String database = prefix + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try (Connection c = DriverManager.getConnection(PG + "postgres", PG_USER, PG_PASSWORD)) {
            c.createStatement().execute("CREATE DATABASE " + database);
        }
        return database;
    }

    /** Policy files name tokens by their SHA-256, never in clear. */
    static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String randomHex(int bytes) {
        byte[] b = new byte[bytes];
        new SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /** Polls {@code probe} every 20 ms for up to 30 s. */
    static <T> T await(Supplier<Optional<T>> probe, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            Optional<T> v = probe.get();
            if (v.isPresent()) {
                return v.get();
            }
            Thread.sleep(20);
        }
        throw new AssertionError("timed out waiting for " + what);
    }
}
