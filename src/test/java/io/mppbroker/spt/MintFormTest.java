package io.mppbroker.spt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.mppbroker.payment.MintCommand;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class MintFormTest {

    static final Instant NOW = Instant.parse("2026-11-21T20:00:00Z");
    static final Duration MAX = Duration.ofHours(1);

    static MintCommand parse(String body) {
        return MintForm.parse(MintForm.ISSUED_TOKENS, body.getBytes(StandardCharsets.UTF_8), NOW, MAX);
    }

    @Test
    void readsTheFormMppxSends() {
        // Byte for byte what mppx 0.11.0's CLI posted in a capture (URLSearchParams encoding).
        MintCommand c = parse("payment_method=pm_card_visa&usage_limits%5Bcurrency%5D=usd&usage_limits%5Bmax_amount%5D=250"
                + "&usage_limits%5Bexpires_at%5D=" + NOW.plusSeconds(300).getEpochSecond()
                + "&seller_details%5Bnetwork_business_profile%5D=profile_1Abc&metadata%5Border%5D=o-1");
        assertEquals(new MintCommand(250, "usd", "profile_1Abc", NOW.plusSeconds(300), MintForm.ISSUED_TOKENS), c);
    }

    @Test
    void capsTheLifetimeAndDefaultsToIt() {
        String base = "usage_limits[currency]=USD&usage_limits[max_amount]=100&seller_details[network_id]=net_1";
        assertEquals(NOW.plus(MAX), parse(base).expiresAt());
        assertEquals(NOW.plus(MAX), parse(base + "&usage_limits[expires_at]=" + NOW.plus(Duration.ofDays(2)).getEpochSecond()).expiresAt());
        assertEquals("usd", parse(base).currency());
        assertEquals("net_1", parse(base).networkProfile());
    }

    @Test
    void refusesWhatStripeWouldRefuseNamingTheParameter() {
        String ok = "usage_limits[currency]=usd&usage_limits[max_amount]=100&seller_details[network_id]=net_1";
        assertEquals("usage_limits[max_amount]", param(() -> parse("usage_limits[currency]=usd&seller_details[network_id]=n")));
        assertEquals("usage_limits[max_amount]", param(() -> parse(ok.replace("=100", "=0"))));
        assertEquals("usage_limits[max_amount]", param(() -> parse(ok.replace("=100", "=-5"))));
        assertEquals("usage_limits[currency]", param(() -> parse(ok.replace("=usd", "=dollars"))));
        assertEquals("seller_details", param(() -> parse("usage_limits[currency]=usd&usage_limits[max_amount]=100")));
        assertEquals("seller_details[network_id]", param(() -> parse(ok.replace("net_1", "net/../1"))));
        assertEquals("usage_limits[expires_at]", param(() -> parse(ok + "&usage_limits[expires_at]=" + NOW.getEpochSecond())));
        assertEquals("setup_future_usage", param(() -> parse(ok + "&setup_future_usage=off_session")));
        assertEquals("usage_limits[max_amount]", param(() -> parse(ok + "&usage_limits[max_amount]=100")));
        assertEquals("usage_limits[currency]", param(() -> MintForm.parse(MintForm.ISSUED_TOKENS, new byte[0], NOW, MAX)));
        assertEquals("seller_details[network_id]", param(() -> parse(ok + "&seller_details[network_business_profile]=profile_2")));
    }

    @Test
    void takesTheKeyAsStripeDoes() {
        assertEquals(Optional.of("agent-token"), SptDropIn.keyOf("Bearer agent-token"));
        assertEquals(Optional.of("agent-token"), SptDropIn.keyOf("Basic " + Base64.getEncoder()
                .encodeToString("agent-token:".getBytes(StandardCharsets.UTF_8))));
        assertEquals(Optional.empty(), SptDropIn.keyOf("Basic !!!"));
        assertEquals(Optional.empty(), SptDropIn.keyOf("Digest x"));
        assertEquals(Optional.empty(), SptDropIn.keyOf(null));
    }

    static String param(Runnable parse) {
        StripeError e = assertThrows(StripeError.class, parse::run);
        assertEquals(400, e.status());
        return e.param();
    }
}
