package io.mppbroker.mpp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SellerProblemTest {

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void parsesTheCoreDraftVerificationFailedExample() {
        Optional<SellerProblem> p = SellerProblem.parse(402, "application/problem+json", utf8("""
                {
                  "type": "https://paymentauth.org/problems/verification-failed",
                  "title": "Payment Verification Failed",
                  "status": 402,
                  "detail": "Invalid payment proof."
                }"""));
        assertEquals(Optional.of(new SellerProblem("https://paymentauth.org/problems/verification-failed",
                "Payment Verification Failed", 402, "Invalid payment proof.", Optional.of("verification-failed"))), p);
    }

    @ParameterizedTest
    @ValueSource(strings = {"payment-required", "verification-failed", "invalid-challenge", "payment-expired",
            "malformed-credential", "payment-insufficient", "invalid-payload", "payment-action-required",
            "internal-payment-error", "method-unsupported"})
    void extractsThePaymentProblemCode(String code) {
        SellerProblem p = SellerProblem.parse(402, "application/problem+json; charset=utf-8",
                utf8("{\"type\":\"https://paymentauth.org/problems/" + code + "\",\"title\":\"t\",\"challengeId\":\"abc\"}")).orElseThrow();
        assertEquals(Optional.of(code), p.code());
        assertEquals("", p.detail());
    }

    @Test
    void codeIsTheLastPathSegmentIgnoringTrailingSlashQueryAndFragment() {
        assertEquals(Optional.of("payment-expired"), SellerProblem.codeOf("https://paymentauth.org/problems/payment-expired/"));
        assertEquals(Optional.of("payment-expired"), SellerProblem.codeOf("https://paymentauth.org/problems/v2/payment-expired?x=1"));
        assertEquals(Optional.of("invalid-challenge"), SellerProblem.codeOf("https://paymentauth.org/problems/invalid-challenge#a"));
        assertEquals(Optional.empty(), SellerProblem.codeOf("https://paymentauth.org/problems/"));
        assertEquals(Optional.empty(), SellerProblem.codeOf("https://paymentauth.org/problems/Bad Code"));
        assertEquals(Optional.empty(), SellerProblem.codeOf("https://example.com/problems/payment-expired"));
        assertEquals(Optional.empty(), SellerProblem.codeOf("http://paymentauth.org/problems/payment-expired"));
    }

    @Test
    void otherProblemTypesHaveNoCodeAndTypeDefaultsToAboutBlank() {
        SellerProblem other = SellerProblem.parse(403, "application/problem+json",
                utf8("{\"type\":\"https://seller.test/probs/policy\",\"title\":\"Forbidden\",\"status\":403}")).orElseThrow();
        assertEquals(Optional.empty(), other.code());
        assertEquals(403, other.status());

        SellerProblem blank = SellerProblem.parse(400, "application/json", utf8("{\"title\":\"Bad Request\",\"detail\":\"x\"}")).orElseThrow();
        assertEquals("about:blank", blank.type());
        assertEquals(Optional.empty(), blank.code());
    }

    @Test
    void httpStatusWinsOverTheBodyAndMistypedMembersAreIgnored() {
        SellerProblem p = SellerProblem.parse(402, null, utf8("{\"type\":7,\"title\":\"Payment Required\",\"status\":\"500\",\"detail\":[]}"))
                .orElseThrow();
        assertEquals(new SellerProblem("about:blank", "Payment Required", 402, "", Optional.empty()), p);
    }

    @Test
    void nonProblemBodiesGiveNothing() {
        assertEquals(Optional.empty(), SellerProblem.parse(402, "text/html", utf8("{\"type\":\"https://paymentauth.org/problems/x\"}")));
        assertEquals(Optional.empty(), SellerProblem.parse(402, "application/problem+json", utf8("<html>402</html>")));
        assertEquals(Optional.empty(), SellerProblem.parse(402, "application/problem+json", utf8("[1]")));
        assertEquals(Optional.empty(), SellerProblem.parse(402, "application/json", utf8("{\"error\":\"nope\"}")));
        assertEquals(Optional.empty(), SellerProblem.parse(402, "application/json", new byte[0]));
        assertEquals(Optional.empty(), SellerProblem.parse(402, "application/json", null));
        assertEquals(Optional.empty(), SellerProblem.parse(402, "application/json", new byte[] {(byte) 0xff, (byte) 0xfe}));
        byte[] huge = utf8("{\"title\":\"" + "x".repeat(SellerProblem.MAX_BODY_BYTES) + "\"}");
        assertEquals(Optional.empty(), SellerProblem.parse(402, "application/json", huge));
    }
}
