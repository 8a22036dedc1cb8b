package io.mppbroker.mpp;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A credential as read by {@link Credential#decode(String)}.
 *
 * @param challengeParams the echoed challenge parameters, in the order sent
 * @param payload         the method-specific payload (for stripe: {@code spt}, optional {@code externalId})
 * @param source          the payer identifier, if sent
 */
public record DecodedCredential(Map<String, String> challengeParams, Map<String, Object> payload, Optional<String> source) {

    public DecodedCredential {
        challengeParams = Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(challengeParams)));
        payload = Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(payload)));
        Objects.requireNonNull(source, "source");
    }

    public Optional<String> challengeId() {
        return Optional.ofNullable(challengeParams.get("id"));
    }

    public Optional<String> spt() {
        return payload.get("spt") instanceof String s ? Optional.of(s) : Optional.empty();
    }

    /** The echoed parameters as a {@link Challenge}; throws when required ones are missing. */
    public Challenge challenge() {
        return Challenge.fromParams(challengeParams);
    }

    /** Leaves the payload out: it holds the SPT, a bearer credential that must never reach a log. */
    @Override
    public String toString() {
        return "DecodedCredential[challengeParams=" + challengeParams + ", payload=<" + payload.size()
                + " fields redacted>, source=" + source + "]";
    }
}
