package io.mppbroker.bench.jmh;

import io.mppbroker.mpp.Base64Url;
import io.mppbroker.mpp.Challenge;
import io.mppbroker.mpp.ChallengeParser;
import io.mppbroker.mpp.ChargeRequest;
import io.mppbroker.mpp.Credential;
import io.mppbroker.mpp.ParsedChallenges;
import io.mppbroker.mpp.Receipt;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The MPP wire work of one paid request, on headers shaped like mppx 0.11.0 sends them: reading the
 * {@code WWW-Authenticate} line and choosing the stripe/charge offer in the project's currency (the same
 * calls, in the same order, as {@code PaymentPipeline.challenge}), building the credential, reading the
 * {@code Payment-Receipt}. One thread: figures are per core.
 */
@State(Scope.Thread)
@Fork(value = 3, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 10, time = 1)
@Threads(1)
public class ChallengeBench {

    /** {@code one}: a single usd offer (mppx {@code charge}); {@code two}: eur first, then usd, in one line (mppx {@code compose}). */
    @Param({"one", "two"})
    public String offers;

    private List<String> header;
    private Challenge chosen;
    private String receipt;

    @Setup
    public void build() {
        String expires = Instant.now().plus(5, ChronoUnit.MINUTES).truncatedTo(ChronoUnit.MILLIS).toString();
        String usd = challenge("usd", "250", "Market report (usd)", expires);
        String eur = challenge("eur", "230", "Market report (eur)", expires);
        header = List.of(offers.equals("one") ? usd : eur + ", " + usd);
        chosen = chooseAsThePipelineDoes(header, "usd").orElseThrow().challenge();
        receipt = Base64Url.encodeUtf8("{\"method\":\"stripe\",\"reference\":\"pi_3QabcDEFghiJKLmnoPQRstuv\","
                + "\"status\":\"success\",\"timestamp\":\"" + Instant.now() + "\"}");
    }

    private static String challenge(String currency, String amount, String description, String expires) {
        String request = Base64Url.encodeUtf8("{\"amount\":\"" + amount + "\",\"currency\":\"" + currency
                + "\",\"description\":\"" + description + "\",\"methodDetails\":{\"networkId\":\"profile_test_mppx\","
                + "\"paymentMethodTypes\":[\"card\"]}}");
        return "Payment id=\"x7Qm3v9bJp0cN2kL8sT4wY6zA1dF5gH0jK2lM4nP6qR\", realm=\"api.seller.example\", "
                + "method=\"stripe\", intent=\"charge\", request=\"" + request + "\", description=\"" + description
                + "\", expires=\"" + expires + "\"";
    }

    /** Mirrors PaymentPipeline.challenge: parse, decode each stripe/charge offer once, prefer the project's currency. */
    static Optional<ChallengeParser.StripeCharge> chooseAsThePipelineDoes(List<String> lines, String currency) {
        ParsedChallenges parsed = ChallengeParser.parse(lines);
        List<ChallengeParser.StripeCharge> usable = ChallengeParser.stripeCharges(parsed.challenges());
        return usable.stream()
                .filter(o -> currency == null || currency.equalsIgnoreCase(o.request().currency()))
                .findFirst()
                .or(() -> usable.stream().findFirst());
    }

    /** Parse the 402's header and pick the offer to pay. */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public Optional<ChallengeParser.StripeCharge> challenge() {
        return chooseAsThePipelineDoes(header, "usd");
    }

    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public Optional<ChallengeParser.StripeCharge> challengeLatency() {
        return chooseAsThePipelineDoes(header, "usd");
    }

    /** Only the header scanner, no request decoding. */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public ParsedChallenges parseOnly() {
        return ChallengeParser.parse(header);
    }

    /** Only one base64url + JSON decode of a charge request. */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public ChargeRequest decodeRequest() {
        return chosen.chargeRequest();
    }

    /** The credential header sent with the paid request. */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public String credential() {
        return Credential.headerValue(chosen, "spt_1QabcDEFghiJKLmnoPQRstuvWXyz", Optional.empty());
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public Receipt receipt() {
        return Receipt.parse(receipt);
    }
}
