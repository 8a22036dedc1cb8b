package io.mppbroker.a2a;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Where pushes may go: public https hosts by default; private addresses only when explicitly allowed. */
class PushUrlGuardTest {

    static PushUrlGuard guard(List<String> allowed, List<String> privateHosts) {
        A2aConfig.Push push = new A2aConfig.Push() {
            public List<String> allowedHosts() { return allowed; }
            public Optional<List<String>> privateHosts() { return Optional.of(privateHosts); }
            public Duration timeout() { return Duration.ofSeconds(1); }
            public int maxAttempts() { return 1; }
            public Duration initialBackoff() { return Duration.ofSeconds(1); }
        };
        return new PushUrlGuard(new A2aConfig() {
            public Optional<String> publicUrl() { return Optional.empty(); }
            public Push push() { return push; }
        });
    }

    static String refusal(PushUrlGuard guard, String url) {
        return assertThrows(PushUrlGuard.Refused.class, () -> guard.check(url)).getMessage();
    }

    @Test
    void byDefaultOnlyPublicHttpsAddressesAreAccepted() {
        PushUrlGuard guard = guard(List.of("*"), List.of());
        assertEquals("https://93.184.215.14/hook?t=1", guard.check("https://93.184.215.14/hook?t=1").toString());
        assertTrue(refusal(guard, "https://127.0.0.1:8080/hook").contains("loopback"));
        assertTrue(refusal(guard, "https://localhost/hook").contains("loopback"));
        assertTrue(refusal(guard, "https://10.1.2.3/hook").contains("private"));
        assertTrue(refusal(guard, "https://192.168.0.10/hook").contains("private"));
        assertTrue(refusal(guard, "https://172.16.5.4/hook").contains("private"));
        assertTrue(refusal(guard, "https://169.254.169.254/latest/meta-data").contains("link-local"));
        assertTrue(refusal(guard, "https://[::1]/hook").contains("loopback"));
        assertTrue(refusal(guard, "https://[::ffff:127.0.0.1]/hook").contains("loopback"));
        assertTrue(refusal(guard, "https://[fd00::1]/hook").contains("private"));
        assertTrue(refusal(guard, "http://93.184.215.14/hook").contains("https"));
        assertTrue(refusal(guard, "ftp://93.184.215.14/hook").contains("http(s)"));
        assertTrue(refusal(guard, "https://user:pw@93.184.215.14/hook").contains("user information"));
        assertTrue(refusal(guard, "not a url at all").contains("URL"));
    }

    @Test
    void allowedHostsNarrowWherePushesMayGo() {
        PushUrlGuard guard = guard(List.of("93.184.*"), List.of());
        guard.check("https://93.184.215.14/hook");
        assertTrue(refusal(guard, "https://8.8.8.8/hook").contains("allowed-hosts"));
    }

    @Test
    void privateHostsAreAllowedOnlyWhenListed() {
        PushUrlGuard guard = guard(List.of("*"), List.of("127.0.0.1"));
        assertEquals("http://127.0.0.1:9/agent", guard.check("http://127.0.0.1:9/agent").toString());
        // Listing 127.0.0.1 does not open other names or addresses of the machine.
        assertTrue(refusal(guard, "https://localhost:9/agent").contains("loopback"));
        assertTrue(refusal(guard, "http://localhost:9/agent").contains("https"));
        assertTrue(refusal(guard, "https://10.0.0.1/agent").contains("private"));
    }
}
