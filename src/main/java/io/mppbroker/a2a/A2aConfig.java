package io.mppbroker.a2a;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

@ConfigMapping(prefix = "broker.a2a")
public interface A2aConfig {

    /**
     * The broker's public base URL (e.g. {@code https://broker.example.com}) for the Agent Card's interface URL.
     * Without it the card uses the scheme and host of the request that fetched it.
     */
    Optional<String> publicUrl();

    Push push();

    interface Push {

        /**
         * Host globs pushes and webhooks may go to ({@code *} any label run, e.g. {@code *.example.com}).
         * Default: any host, as long as it resolves to public addresses only.
         */
        @WithDefault("*")
        List<String> allowedHosts();

        /**
         * Host globs that may resolve to private, loopback or link-local addresses and may use plain http
         * (local agents, tests). Empty in production.
         */
        Optional<List<String>> privateHosts();

        /** Per delivery attempt: connect plus answer. */
        @WithDefault("10s")
        Duration timeout();

        /** Attempts before a delivery is given up (backoff doubles from {@code initial-backoff} up to 5 minutes). */
        @WithDefault("12")
        int maxAttempts();

        @WithDefault("1s")
        Duration initialBackoff();
    }
}
