package io.mppbroker.payment;

import io.mppbroker.mpp.ChargeRequest;
import io.mppbroker.mpp.Challenge;
import java.math.BigDecimal;

/** The stripe/charge challenge the broker chose to answer, with its decoded request. */
public record Offer(Challenge challenge, ChargeRequest charge) {

    public BigDecimal amount() {
        return charge.amountMajor();
    }

    public String currency() {
        return charge.currency();
    }

    public String networkProfile() {
        return charge.networkId().orElse(null);
    }

    public PaymentTerms terms() {
        return new PaymentTerms(challenge.method(), challenge.intent(), amount(), charge.amountMinor(), currency(),
                challenge.realm(), networkProfile(), challenge.id());
    }
}
