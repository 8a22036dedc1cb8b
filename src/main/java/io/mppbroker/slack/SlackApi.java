package io.mppbroker.slack;

import com.slack.api.Slack;
import com.slack.api.methods.MethodsClient;
import com.slack.api.methods.SlackApiException;
import com.slack.api.methods.SlackApiTextResponse;
import io.mppbroker.approval.outbox.ApprovalChannel.ChannelUnavailable;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.time.Duration;
import java.util.Optional;

/** The Slack Web API client for the configured bot token, pointed at {@code broker.slack.api-base}. */
@ApplicationScoped
public class SlackApi {

    private final SlackConfig config;
    private volatile Slack slack;

    public SlackApi(SlackConfig config) {
        this.config = config;
    }

    public boolean configured() {
        return token().isPresent();
    }

    public boolean verifiesRequests() {
        return config.signingSecret().filter(s -> !s.isBlank()).isPresent();
    }

    /** The Web API methods, authenticated with the bot token. */
    public MethodsClient methods() {
        String token = token().orElseThrow(() -> new IllegalStateException("broker.slack.bot-token is not set"));
        return client().methods(token);
    }

    /** One Web API call. */
    @FunctionalInterface
    public interface Call<T extends SlackApiTextResponse> {
        T on(MethodsClient methods) throws IOException, SlackApiException;
    }

    /**
     * Calls a Web API method. Slack answers method errors as HTTP 200 with {@code ok:false}; those come back
     * as the response. Transport trouble (no connection, 429, 5xx, any other HTTP status) is thrown as
     * {@link ChannelUnavailable}, with Slack's {@code Retry-After} when it sent one.
     */
    public <T extends SlackApiTextResponse> T call(String method, Call<T> call) throws ChannelUnavailable {
        try {
            return call.on(methods());
        } catch (SlackApiException e) {
            int status = e.getResponse().code();
            Duration retryAfter = null;
            String header = e.getResponse().header("Retry-After");
            if (header != null) {
                try {
                    retryAfter = Duration.ofSeconds(Math.max(1, Long.parseLong(header.trim())));
                } catch (NumberFormatException ignored) {
                    // HTTP-date form: use the outbox's own backoff
                }
            }
            String error = e.getError() == null ? null : e.getError().getError();
            throw new ChannelUnavailable("slack " + method + ": HTTP " + status + (error == null ? "" : " " + error),
                    retryAfter);
        } catch (IOException e) {
            throw new ChannelUnavailable("slack " + method + ": " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : " " + e.getMessage()), null);
        }
    }

    private Optional<String> token() {
        return config.botToken().filter(t -> !t.isBlank());
    }

    private Slack client() {
        Slack s = slack;
        if (s == null) {
            synchronized (this) {
                if (slack == null) {
                    com.slack.api.SlackConfig sdk = new com.slack.api.SlackConfig();
                    String base = config.apiBase();
                    sdk.setMethodsEndpointUrlPrefix(base.endsWith("/") ? base : base + "/");
                    sdk.setStatsEnabled(false); // no background metrics threads
                    int millis = (int) config.timeout().toMillis();
                    sdk.setHttpClientReadTimeoutMillis(millis);
                    sdk.setHttpClientWriteTimeoutMillis(millis);
                    sdk.setHttpClientCallTimeoutMillis(millis * 2);
                    slack = Slack.getInstance(sdk);
                }
                s = slack;
            }
        }
        return s;
    }

    @PreDestroy
    void close() throws Exception {
        if (slack != null) {
            slack.close();
        }
    }
}
