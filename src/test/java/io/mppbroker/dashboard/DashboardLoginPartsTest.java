package io.mppbroker.dashboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The accounts file format, the Origin rule and the login backoff, without a running broker. */
class DashboardLoginPartsTest {

    static final String HASH = "$2y$10$Ffxjvs/IrWASZV8Uw8h/neSL8.cprh5fo6Sy0Mp1wTvQ2R6M/HMk6"; // htpasswd -B, "dash-lead-pass"

    @Test
    void htpasswdLinesWithBcryptHashesAreAccepted() {
        List<String> errors = new ArrayList<>();
        Map<String, String> accounts = DashboardAccounts.parse("# comment\n\nfin-approver-1:" + HASH + "\r\nalice@example.com:"
                + HASH.replace("$2y$", "$2b$") + "\n", errors);
        assertEquals(List.of(), errors);
        assertEquals(List.of("fin-approver-1", "alice@example.com"), List.copyOf(accounts.keySet()));
    }

    @Test
    void otherHashFormatsDuplicatesAndBadIdsAreErrorsThatNeverEchoTheHash() {
        List<String> errors = new ArrayList<>();
        DashboardAccounts.parse("""
                md5user:$apr1$sQ9Y1p3W$3x9bF8mJ0M2Uq9u0jJz8x/
                shauser:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=
                twice:%1$s
                twice:%1$s
                -bad:%1$s
                no-colon
                """.formatted(HASH), errors);
        assertEquals(5, errors.size(), errors.toString());
        assertTrue(errors.get(0).startsWith("line 1: approver md5user: only bcrypt hashes"), errors.get(0));
        assertTrue(errors.get(2).contains("twice is listed twice"), errors.get(2));
        assertTrue(errors.get(3).contains("is not an approver id"), errors.get(3));
        assertTrue(errors.get(4).startsWith("line 6: expected approver-id:bcrypt-hash"), errors.get(4));
        assertFalse(String.join("\n", errors).contains("$apr1$"), "a hash was echoed");
    }

    @Test
    void theRightPasswordVerifiesAgainstAnHtpasswdHash() throws Exception {
        Path file = java.nio.file.Files.createTempFile("accounts", ".htpasswd");
        java.nio.file.Files.writeString(file, "dash-lead:" + HASH + "\n");
        DashboardAccounts accounts = new DashboardAccounts(config(file));
        assertTrue(accounts.verify("dash-lead", "dash-lead-pass".toCharArray()));
        assertFalse(accounts.verify("dash-lead", "dash-lead-pasS".toCharArray()));
        assertFalse(accounts.verify("nobody", "dash-lead-pass".toCharArray()));
        assertTrue(accounts.exists("dash-lead"));
        assertFalse(accounts.exists("nobody"));
    }

    @Test
    void postsMustComeFromTheBrokersOwnOrigin() {
        SameOrigin rule = new SameOrigin(config(Path.of("x"), "https://approvals.example.com/"));
        assertTrue(rule.allows("http://127.0.0.1:8080", null, "127.0.0.1:8080"));
        assertTrue(rule.allows("https://broker.example", null, "broker.example:443"));
        assertTrue(rule.allows("https://approvals.example.com", null, "10.0.0.5:8080"), "configured public origin");
        assertFalse(rule.allows("https://evil.example", null, "127.0.0.1:8080"));
        assertFalse(rule.allows("http://127.0.0.1:8081", null, "127.0.0.1:8080"), "another port is another origin");
        assertFalse(rule.allows("null", null, "127.0.0.1:8080"));
        assertFalse(rule.allows(null, null, "127.0.0.1:8080"), "no Origin and no Sec-Fetch-Site");
        assertFalse(rule.allows(null, "cross-site", "127.0.0.1:8080"));
        assertTrue(rule.allows(null, "same-origin", "127.0.0.1:8080"));
    }

    @Test
    void wrongPasswordsLockTheAccountLongerEachTimeUpToFifteenMinutes() {
        MutableClock clock = new MutableClock();
        LoginThrottle throttle = new LoginThrottle(clock);
        for (int i = 0; i < LoginThrottle.FREE_FAILURES - 1; i++) {
            throttle.failed("alice");
            assertEquals(Optional.empty(), throttle.lockedFor("alice"));
        }
        throttle.failed("alice");
        assertEquals(Optional.of(Duration.ofSeconds(1)), throttle.lockedFor("alice"));
        assertEquals(Optional.empty(), throttle.lockedFor("bob"), "another account is not affected");
        clock.now = clock.now.plusSeconds(1);
        assertEquals(Optional.empty(), throttle.lockedFor("alice"));
        throttle.failed("alice");
        assertEquals(Optional.of(Duration.ofSeconds(2)), throttle.lockedFor("alice"));
        for (int i = 0; i < 30; i++) {
            throttle.failed("alice");
        }
        assertEquals(Optional.of(LoginThrottle.MAX_LOCK), throttle.lockedFor("alice"));
        throttle.succeeded("alice");
        assertEquals(Optional.empty(), throttle.lockedFor("alice"));
    }

    static final class MutableClock extends Clock {
        Instant now = Instant.parse("2026-11-21T10:00:00Z");

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    static DashboardConfig config(Path accounts, String... allowedOrigins) {
        return new DashboardConfig() {
            @Override
            public Path accountsFile() {
                return accounts;
            }

            @Override
            public Optional<List<String>> allowedOrigins() {
                return allowedOrigins.length == 0 ? Optional.empty() : Optional.of(List.of(allowedOrigins));
            }

            @Override
            public int recentDecisions() {
                return 20;
            }

            @Override
            public Duration streamMaxAge() {
                return Duration.ofMinutes(5);
            }
        };
    }
}
