package io.mppbroker.slack;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/** The Slack app the broker posts approval cards as, and the secret Slack signs its button clicks with. */
@ConfigMapping(prefix = "broker.slack")
public interface SlackConfig {

    /** Slack Web API base URL, ending in "/" (a local fake in tests). */
    @WithDefault("https://slack.com/api/")
    String apiBase();

    /** The app's bot token ({@code xoxb-...}). Without it no card is posted to Slack. Never logged. */
    Optional<String> botToken();

    /** The app's signing secret: interactivity requests not signed with it are refused. Never logged. */
    Optional<String> signingSecret();

    /** How far a request's {@code X-Slack-Request-Timestamp} may be from now, either way (replay window). */
    @WithDefault("5m")
    Duration requestTolerance();

    /** Connect/read timeout of Web API calls. */
    @WithDefault("10s")
    Duration timeout();
}
