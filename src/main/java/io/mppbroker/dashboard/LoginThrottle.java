package io.mppbroker.dashboard;

import jakarta.enterprise.context.ApplicationScoped;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Per-account backoff against password guessing: after {@value #FREE_FAILURES} wrong passwords in a row the
 * account refuses every attempt, right or wrong, for 1 s, then 2 s, 4 s... up to 15 minutes after each further
 * failure. Attempts during a lock are refused without checking the password and do not extend the lock.
 * A successful login clears the count. Unknown ids are throttled the same way, so the answer never tells
 * whether an account exists. One node's memory: behind a load balancer each node counts on its own.
 */
@ApplicationScoped
public class LoginThrottle {

    static final int FREE_FAILURES = 3;
    static final Duration MAX_LOCK = Duration.ofMinutes(15);
    private static final int MAX_TRACKED = 10_000;

    private record State(int failures, Instant lockedUntil) {}

    private final Map<String, State> states = new ConcurrentHashMap<>();
    private final Clock clock;

    public LoginThrottle() {
        this(Clock.systemUTC());
    }

    LoginThrottle(Clock clock) {
        this.clock = clock;
    }

    /** How long the account stays locked, if it is. */
    public Optional<Duration> lockedFor(String account) {
        State s = states.get(account);
        Instant now = clock.instant();
        if (s == null || s.lockedUntil() == null || !s.lockedUntil().isAfter(now)) {
            return Optional.empty();
        }
        return Optional.of(Duration.between(now, s.lockedUntil()));
    }

    public void failed(String account) {
        Instant now = clock.instant();
        if (states.size() >= MAX_TRACKED) {
            forgetIdle(now);
        }
        states.compute(account, (id, s) -> {
            int failures = (s == null ? 0 : s.failures()) + 1;
            if (failures < FREE_FAILURES) {
                return new State(failures, null);
            }
            int doublings = Math.min(failures - FREE_FAILURES, 20);
            Duration lock = Duration.ofSeconds(1L << doublings);
            return new State(failures, now.plus(lock.compareTo(MAX_LOCK) > 0 ? MAX_LOCK : lock));
        });
    }

    public void succeeded(String account) {
        states.remove(account);
    }

    /** Bounds memory under a flood of made-up ids: drops the entries that lock nothing now. */
    private void forgetIdle(Instant now) {
        states.entrySet().removeIf(e -> e.getValue().lockedUntil() == null || !e.getValue().lockedUntil().isAfter(now));
    }
}
