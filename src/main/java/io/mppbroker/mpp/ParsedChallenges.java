package io.mppbroker.mpp;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Result of parsing the {@code WWW-Authenticate} header lines of a response.
 *
 * @param challenges valid Payment challenges, in the order received (other schemes are left out)
 * @param rejected   one human-readable reason per invalid Payment challenge or unparsable header line
 */
public record ParsedChallenges(List<Challenge> challenges, List<String> rejected) {

    public ParsedChallenges {
        challenges = List.copyOf(Objects.requireNonNull(challenges, "challenges"));
        rejected = List.copyOf(Objects.requireNonNull(rejected, "rejected"));
    }

    /** The first usable stripe/charge challenge, see {@link ChallengeParser#chooseStripeCharge(List)}. */
    public Optional<Challenge> firstStripeCharge() {
        return ChallengeParser.chooseStripeCharge(challenges);
    }
}
