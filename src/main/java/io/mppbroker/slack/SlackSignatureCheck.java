package io.mppbroker.slack;

import com.slack.api.app_backend.SlackSignature;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;

/**
 * Slack's v0 request signature (https://api.slack.com/authentication/verifying-requests-from-slack):
 * {@code v0=hex(HMAC-SHA256(signing secret, "v0:" + timestamp + ":" + raw body))}. The expected value comes
 * from the SDK's {@link SlackSignature.Generator}; the SDK's {@code Verifier} is not used because it compares
 * with {@code String.equals} (not constant-time), accepts timestamps from the future, and logs the signature
 * at debug level. Here the window is symmetric and the comparison constant-time.
 */
public final class SlackSignatureCheck {

    public enum Result { VALID, MISSING_HEADERS, STALE_TIMESTAMP, BAD_SIGNATURE }

    private final SlackSignature.Generator generator;
    private final Duration tolerance;

    public SlackSignatureCheck(String signingSecret, Duration tolerance) {
        this.generator = new SlackSignature.Generator(signingSecret);
        this.tolerance = tolerance;
    }

    public Result check(String timestamp, String signature, String rawBody, Instant now) {
        if (timestamp == null || signature == null || timestamp.isBlank() || signature.isBlank()) {
            return Result.MISSING_HEADERS;
        }
        long seconds;
        try {
            seconds = Long.parseLong(timestamp.trim());
        } catch (NumberFormatException e) {
            return Result.STALE_TIMESTAMP;
        }
        if (Math.abs(now.getEpochSecond() - seconds) > tolerance.toSeconds()) {
            return Result.STALE_TIMESTAMP;
        }
        String expected = generator.generate(timestamp.trim(), rawBody);
        if (expected == null) {
            return Result.BAD_SIGNATURE;
        }
        boolean same = MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8),
                signature.trim().getBytes(StandardCharsets.UTF_8));
        return same ? Result.VALID : Result.BAD_SIGNATURE;
    }
}
