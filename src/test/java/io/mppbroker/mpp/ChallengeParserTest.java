package io.mppbroker.mpp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ChallengeParserTest {

    /** {"amount":"250","currency":"usd","methodDetails":{"networkId":"profile_1","paymentMethodTypes":["card"]}} */
    static final String USD_REQUEST = Base64Url.encodeUtf8(
            "{\"amount\":\"250\",\"currency\":\"usd\",\"methodDetails\":{\"networkId\":\"profile_1\",\"paymentMethodTypes\":[\"card\"]}}");
    static final String EUR_REQUEST = Base64Url.encodeUtf8(
            "{\"amount\":\"230\",\"currency\":\"eur\",\"methodDetails\":{\"networkId\":\"profile_1\",\"paymentMethodTypes\":[\"card\"]}}");

    static String stripeChallenge(String id, String request) {
        return "Payment id=\"" + id + "\", realm=\"api.seller.test\", method=\"stripe\", intent=\"charge\", request=\""
                + request + "\", expires=\"2030-01-15T12:05:00.123Z\"";
    }

    static ParsedChallenges parse(String... lines) {
        return ChallengeParser.parse(Arrays.asList(lines));
    }

    static Challenge only(ParsedChallenges parsed) {
        assertEquals(List.of(), parsed.rejected(), "rejected");
        assertEquals(1, parsed.challenges().size(), "challenges");
        return parsed.challenges().get(0);
    }

    static void assertRejectedWith(ParsedChallenges parsed, String expectedReasonPart) {
        assertTrue(parsed.rejected().stream().anyMatch(r -> r.contains(expectedReasonPart)),
                () -> "expected a rejection containing <" + expectedReasonPart + "> but got " + parsed.rejected());
    }

    @Test
    void parsesTheCoreDraftExampleAsPrintedWithFoldedLines() {
        String header = "Payment id=\"x7Tg2pLqR9mKvNwY3hBcZa\",\n"
                + "    realm=\"api.example.com\",\n"
                + "    method=\"example\",\n"
                + "    intent=\"charge\",\n"
                + "    expires=\"2025-01-15T12:05:00Z\",\n"
                + "    request=\"eyJhbW91bnQiOiIxMDAwIiwiY3VycmVuY3kiOiJVU0QiLCJyZWNpcGllbnQiOiJhY2N0XzEyMyJ9\"";
        Challenge c = only(parse(header));
        assertEquals("x7Tg2pLqR9mKvNwY3hBcZa", c.id());
        assertEquals("api.example.com", c.realm());
        assertEquals("example", c.method());
        assertEquals("charge", c.intent());
        assertFalse(c.isStripeCharge());
        assertEquals(Optional.of(Instant.parse("2025-01-15T12:05:00Z")), c.expiresAt());
        assertEquals(List.of("id", "realm", "method", "intent", "expires", "request"), List.copyOf(c.params().keySet()));
        ChargeRequest r = c.chargeRequest();
        assertEquals(1000, r.amountMinor());
        assertEquals("usd", r.currency(), "the example encodes \"USD\"; it is normalised to lowercase");
        assertEquals(Optional.of("acct_123"), r.recipient());
    }

    @Test
    void parsesTheStripeDraftExample() {
        String header = "Payment id=\"ch_1a2b3c4d5e\", realm=\"api.example.com\", method=\"stripe\", intent=\"charge\", "
                + "request=\"eyJhbW91bnQiOiI1MDAwIiwiY3VycmVuY3kiOiJ1c2QiLCJkZXNjcmlwdGlvbiI6IkFJIGdlbmVyYXRpb24ifQ\"";
        Challenge c = only(parse(header));
        assertTrue(c.isStripeCharge());
        assertEquals(Optional.empty(), c.expires());
        assertEquals(Optional.empty(), c.expiresAt());
        assertEquals("Authorization", c.credentialHeaderName());
        ChargeRequest r = c.chargeRequest();
        assertEquals(5000, r.amountMinor());
        assertEquals("usd", r.currency());
        assertEquals(Optional.of("AI generation"), r.description());
    }

    @Test
    void parsesSeveralChallengesOnOneLineAsMppxSendsThem() {
        String line = stripeChallenge("a", USD_REQUEST) + ", " + stripeChallenge("b", EUR_REQUEST);
        ParsedChallenges parsed = parse(line);
        assertEquals(List.of(), parsed.rejected());
        assertEquals(List.of("a", "b"), parsed.challenges().stream().map(Challenge::id).toList());
        assertEquals("usd", parsed.challenges().get(0).chargeRequest().currency());
        assertEquals("eur", parsed.challenges().get(1).chargeRequest().currency());
        assertEquals(Optional.of(Instant.parse("2030-01-15T12:05:00.123Z")), parsed.challenges().get(1).expiresAt());
    }

    @Test
    void parsesChallengesAcrossLinesAndSkipsOtherSchemes() {
        ParsedChallenges parsed = parse(
                "Bearer realm=\"x\", error=\"invalid_token\"",
                stripeChallenge("first", USD_REQUEST),
                "Basic realm=\"y\", charset=\"UTF-8\", " + stripeChallenge("second", EUR_REQUEST) + ", Negotiate",
                "x402 eyJ4NDAyVmVyc2lvbiI6MX0=",
                "Bearer abc.def-ghi==, " + stripeChallenge("third", USD_REQUEST));
        assertEquals(List.of(), parsed.rejected());
        assertEquals(List.of("first", "second", "third"), parsed.challenges().stream().map(Challenge::id).toList());
    }

    @Test
    void ignoresEmptyAndNullLines() {
        List<String> lines = new ArrayList<>();
        lines.add(null);
        lines.add("");
        lines.add("   ");
        lines.add(stripeChallenge("a", USD_REQUEST));
        assertEquals("a", only(ChallengeParser.parse(lines)).id());
        assertEquals(new ParsedChallenges(List.of(), List.of()), ChallengeParser.parse(null));
    }

    @Test
    void keepsCommasAndEscapedQuotesInsideQuotedStrings() {
        String line = "Payment id=\"a\", realm=\"x\", method=\"stripe\", intent=\"charge\", request=\"" + USD_REQUEST + "\", "
                + "description=\"Buy \\\"one\\\", get, two; path C:\\\\tmp, Payment id=\\\"fake\\\"\", "
                + stripeChallenge("b", EUR_REQUEST);
        ParsedChallenges parsed = parse(line);
        assertEquals(List.of(), parsed.rejected());
        assertEquals(List.of("a", "b"), parsed.challenges().stream().map(Challenge::id).toList());
        assertEquals(Optional.of("Buy \"one\", get, two; path C:\\tmp, Payment id=\"fake\""),
                parsed.challenges().get(0).description());
    }

    @Test
    void decodesMppxUnicodeEscapesAndLatin1Characters() {
        String line = "Payment id=\"a\", realm=\"x\", method=\"stripe\", intent=\"charge\", request=\"" + USD_REQUEST + "\", "
                + "description=\"caf\\u00e9 \\u4e2d\\u6587 \\ud83d\\ude00 na\u00efve \\x\"";
        Challenge c = only(parse(line));
        assertEquals(Optional.of("café 中文 😀 naïve x"), c.description());
    }

    @Test
    void schemeAndParameterNamesAreCaseInsensitiveButValuesAreNot() {
        String line = "PAYMENT ID=\"AbC\", Realm=\"Api.Example.com\", METHOD=\"stripe\", Intent=\"charge\", REQUEST=\""
                + USD_REQUEST + "\", Expires=\"2030-01-01T00:00:00Z\", X-Custom=\"Keep\"";
        Challenge c = only(parse(line));
        assertEquals("AbC", c.id());
        assertEquals("Api.Example.com", c.realm());
        assertEquals(List.of("id", "realm", "method", "intent", "request", "expires", "x-custom"), List.copyOf(c.params().keySet()));
        assertEquals("Keep", c.params().get("x-custom"));
        assertTrue(c.isStripeCharge());
    }

    @Test
    void methodAndIntentAreCaseSensitiveIdentifiers() {
        String line = "Payment id=\"a\", realm=\"x\", method=\"Stripe\", intent=\"CHARGE\", request=\"" + USD_REQUEST + "\"";
        Challenge c = only(parse(line));
        assertFalse(c.isStripeCharge());
    }

    @Test
    void acceptsBareTokenValuesAndIdsStartingWithDash() {
        String line = "Payment id=-Xy_9z, realm=api.example.com, method=stripe, intent=charge, request=" + USD_REQUEST
                + ", expires=\"2030-01-01T00:00:00Z\"";
        Challenge c = only(parse(line));
        assertEquals("-Xy_9z", c.id());
        assertEquals(USD_REQUEST, c.request());
        assertEquals(250, c.chargeRequest().amountMinor());
    }

    @Test
    void acceptsWhitespaceAroundEqualsAndEmptyListElements() {
        String line = "Payment ,, id = \"a\" ,,, realm=\"x\",method=\"stripe\" ,\tintent=\"charge\",request=\"" + USD_REQUEST + "\",,";
        Challenge c = only(parse(line));
        assertEquals("a", c.id());
        assertEquals("charge", c.intent());
    }

    @Test
    void keepsUnknownParametersInOrder() {
        String line = "Payment zeta=\"1\", id=\"a\", realm=\"x\", method=\"stripe\", intent=\"charge\", alpha=token, request=\""
                + USD_REQUEST + "\"";
        Challenge c = only(parse(line));
        assertEquals(List.of("zeta", "id", "realm", "method", "intent", "alpha", "request"), List.copyOf(c.params().keySet()));
        assertEquals("token", c.params().get("alpha"));
        assertThrows(UnsupportedOperationException.class, () -> c.params().put("x", "y"));
    }

    @Test
    void headerParameterRedirectsTheCredential() {
        Challenge c = only(parse(stripeChallenge("a", USD_REQUEST) + ", header=\"Payment-Authorization\""));
        assertEquals(Optional.of("Payment-Authorization"), c.header());
        assertEquals("Payment-Authorization", c.credentialHeaderName());
    }

    @ParameterizedTest
    @ValueSource(strings = {"Host", "content-length", "Cookie", "Proxy-Authorization", "bad name", "", "a:b"})
    void headerParameterNamingAnUnsafeOrInvalidHeaderIsRejected(String header) {
        ParsedChallenges parsed = parse(stripeChallenge("a", USD_REQUEST) + ", header=\"" + header + "\"");
        assertEquals(List.of(), parsed.challenges());
        assertRejectedWith(parsed, "parameter 'header'");
    }

    @Test
    void duplicateParameterRejectsOnlyThatChallenge() {
        String line = "Payment id=\"a\", realm=\"x\", method=\"stripe\", intent=\"charge\", realm=\"y\", request=\"" + USD_REQUEST
                + "\", " + stripeChallenge("b", EUR_REQUEST);
        ParsedChallenges parsed = parse(line);
        assertEquals(List.of("b"), parsed.challenges().stream().map(Challenge::id).toList());
        assertEquals(1, parsed.rejected().size());
        assertRejectedWith(parsed, "duplicate parameter 'realm'");
        assertRejectedWith(parsed, "id 'a'");
    }

    @Test
    void duplicateParameterDifferingOnlyInCaseIsRejected() {
        ParsedChallenges parsed = parse(stripeChallenge("a", USD_REQUEST) + ", ID=\"b\"");
        assertEquals(List.of(), parsed.challenges());
        assertRejectedWith(parsed, "duplicate parameter 'id'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"id", "realm", "method", "intent", "request"})
    void missingRequiredParameterIsRejected(String missing) {
        StringBuilder line = new StringBuilder("Payment ");
        for (String name : List.of("id", "realm", "method", "intent", "request")) {
            if (!name.equals(missing)) {
                line.append(name).append("=\"").append(name.equals("request") ? USD_REQUEST : "v").append("\", ");
            }
        }
        line.append("expires=\"2030-01-01T00:00:00Z\"");
        ParsedChallenges parsed = parse(line.toString());
        assertEquals(List.of(), parsed.challenges());
        assertRejectedWith(parsed, "missing required parameter '" + missing + "'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"id", "realm", "method", "intent", "request"})
    void emptyRequiredParameterIsRejected(String empty) {
        StringBuilder line = new StringBuilder("Payment ");
        for (String name : List.of("id", "realm", "method", "intent", "request")) {
            String value = name.equals(empty) ? "" : name.equals("request") ? USD_REQUEST : "v";
            line.append(name).append("=\"").append(value).append("\", ");
        }
        ParsedChallenges parsed = parse(line.toString());
        assertEquals(List.of(), parsed.challenges());
        assertRejectedWith(parsed, "required parameter '" + empty + "' is empty");
    }

    @Test
    void paymentWithoutParametersIsRejected() {
        ParsedChallenges parsed = parse("Payment");
        assertEquals(List.of(), parsed.challenges());
        assertRejectedWith(parsed, "missing required parameter 'id'");
    }

    @Test
    void paymentWithToken68IsRejected() {
        ParsedChallenges parsed = parse("Payment eyJhYmMiOjF9==, " + stripeChallenge("b", USD_REQUEST));
        assertEquals(List.of("b"), parsed.challenges().stream().map(Challenge::id).toList());
        assertRejectedWith(parsed, "token68");
    }

    @Test
    void unterminatedQuoteRejectsTheChallengeAndKeepsEarlierOnes() {
        String line = stripeChallenge("a", USD_REQUEST) + ", Payment id=\"b, realm=\"x\", method=\"stripe\"";
        ParsedChallenges parsed = parse(line);
        assertEquals(List.of("a"), parsed.challenges().stream().map(Challenge::id).toList());
        assertEquals(1, parsed.rejected().size());

        ParsedChallenges atEnd = parse("Payment id=\"a\", realm=\"x\", method=\"stripe\", intent=\"charge\", request=\"" + USD_REQUEST);
        assertEquals(List.of(), atEnd.challenges());
        assertRejectedWith(atEnd, "unterminated quoted string in parameter 'request'");

        ParsedChallenges trailingBackslash = parse("Payment id=\"a\\");
        assertRejectedWith(trailingBackslash, "unterminated quoted string in parameter 'id'");
    }

    @Test
    void missingCommaBetweenParametersIsRejected() {
        ParsedChallenges parsed = parse("Payment id=\"a\" realm=\"x\", method=\"stripe\", intent=\"charge\", request=\"" + USD_REQUEST + "\"");
        assertEquals(List.of(), parsed.challenges());
        assertRejectedWith(parsed, "expected ',' after parameter 'id'");
    }

    @Test
    void brokenOtherSchemeBeforeAPaymentChallengeIsReported() {
        ParsedChallenges parsed = parse("Bearer realm=\"x\" junk, " + stripeChallenge("a", USD_REQUEST));
        assertEquals(List.of(), parsed.challenges());
        assertRejectedWith(parsed, "malformed WWW-Authenticate line 1");

        // A broken header that mentions no Payment challenge stays silent, like other schemes.
        assertEquals(new ParsedChallenges(List.of(), List.of()), parse("Bearer realm=\"x\" junk"));
    }

    @Test
    void parameterBeforeAnySchemeIsReportedWhenPaymentFollows() {
        ParsedChallenges parsed = parse("realm=\"x\", " + stripeChallenge("a", USD_REQUEST));
        assertEquals(List.of(), parsed.challenges());
        assertRejectedWith(parsed, "before any scheme");
    }

    @Test
    void controlCharactersInQuotedStringsAreRejected() {
        ParsedChallenges raw = parse(stripeChallenge("a", USD_REQUEST) + ", description=\"x\u0000y\"");
        assertRejectedWith(raw, "control character in parameter 'description'");
        ParsedChallenges escaped = parse(stripeChallenge("a", USD_REQUEST) + ", description=\"x\\u0007y\"");
        assertRejectedWith(escaped, "escaped control character");
        ParsedChallenges surrogate = parse(stripeChallenge("a", USD_REQUEST) + ", description=\"x\\ud83dy\"");
        assertRejectedWith(surrogate, "unpaired surrogate");
    }

    @Test
    void oversizeLineIsNotParsed() {
        String description = "x".repeat(ChallengeParser.MAX_LINE_CHARS);
        ParsedChallenges parsed = parse(stripeChallenge("a", USD_REQUEST) + ", description=\"" + description + "\"",
                stripeChallenge("b", EUR_REQUEST));
        assertEquals(List.of("b"), parsed.challenges().stream().map(Challenge::id).toList());
        assertRejectedWith(parsed, "over the limit of 16384: not parsed");
    }

    @Test
    void lineJustUnderTheLimitIsParsed() {
        String head = stripeChallenge("a", USD_REQUEST) + ", description=\"";
        String line = head + "x".repeat(ChallengeParser.MAX_LINE_CHARS - head.length() - 1) + "\"";
        assertEquals(ChallengeParser.MAX_LINE_CHARS, line.length());
        assertEquals("a", only(parse(line)).id());
    }

    @Test
    void totalSizeOverTheLimitStopsParsing() {
        String filler = "Bearer realm=\"" + "y".repeat(15_000) + "\"";
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            lines.add(filler);
        }
        lines.add(filler);
        lines.add(stripeChallenge("late", USD_REQUEST));
        ParsedChallenges parsed = ChallengeParser.parse(lines);
        assertEquals(List.of(), parsed.challenges());
        assertRejectedWith(parsed, "characters in total: line 5 and later not parsed");
    }

    @Test
    void atMostSixtyFourChallengesAreRead() {
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < 70; i++) {
            line.append(i == 0 ? "" : ", ").append("Payment id=\"c").append(i).append("\", realm=\"x\", method=\"stripe\", intent=\"charge\", request=").append(USD_REQUEST);
        }
        ParsedChallenges parsed = parse(line.toString());
        assertEquals(ChallengeParser.MAX_CHALLENGES, parsed.challenges().size());
        assertEquals("c63", parsed.challenges().get(63).id());
        assertRejectedWith(parsed, "more than 64 challenges");

        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 70; i++) {
            lines.add("Basic realm=\"r" + i + "\"");
        }
        lines.add(stripeChallenge("late", USD_REQUEST));
        ParsedChallenges acrossLines = ChallengeParser.parse(lines);
        assertEquals(List.of(), acrossLines.challenges());
        assertRejectedWith(acrossLines, "more than 64 challenges");
    }

    @Test
    void tooManyParametersRejectTheChallenge() {
        StringBuilder line = new StringBuilder(stripeChallenge("a", USD_REQUEST));
        for (int i = 0; i < ChallengeParser.MAX_PARAMS; i++) {
            line.append(", p").append(i).append("=x");
        }
        ParsedChallenges parsed = parse(line.toString());
        assertEquals(List.of(), parsed.challenges());
        assertRejectedWith(parsed, "more than 64 parameters");
    }

    @Test
    void hostileInputsFinishQuicklyWithoutThrowing() {
        List<String> hostile = List.of(
                "Payment " + ",".repeat(16_000),
                ",".repeat(16_000) + stripeChallenge("a", USD_REQUEST),
                "Payment id=\"" + "\\".repeat(16_000),
                "Payment id=\"" + "\\\"".repeat(7_000),
                "Payment " + "a=b,".repeat(3_000),
                "Payment " + "a ".repeat(8_000),
                "Payment".repeat(2_000),
                "Payment id=" + "=".repeat(16_000),
                "\"".repeat(16_000),
                "Payment id=\"" + "\\u".repeat(5_000) + "\"",
                "=".repeat(16_000),
                " \t ".repeat(5_000));
        assertTimeoutPreemptively(Duration.ofSeconds(2), () -> {
            for (String line : hostile) {
                ParsedChallenges parsed = ChallengeParser.parse(List.of(line));
                assertTrue(parsed.challenges().size() <= 1);
            }
        });
        assertEquals("a", only(parse(",".repeat(16_000) + stripeChallenge("a", USD_REQUEST))).id());
        assertRejectedWith(parse("Payment " + ",".repeat(16_000)), "missing required parameter 'id'");
    }

    @Test
    void randomInputNeverThrows() {
        Random random = new Random(20261121L);
        String alphabet = "Payment id=\"\\,; \t\r\nabcXYZ-_/+=uU0123456789\u00e9\u4e2d\u0000\u007f";
        String valid = stripeChallenge("a", USD_REQUEST);
        for (int round = 0; round < 5_000; round++) {
            StringBuilder sb = new StringBuilder();
            if (round % 2 == 0) {
                // Mutate a valid challenge: drop, duplicate or replace characters.
                sb.append(valid);
                for (int m = 0; m < 1 + random.nextInt(4); m++) {
                    int at = random.nextInt(sb.length());
                    switch (random.nextInt(3)) {
                        case 0 -> sb.deleteCharAt(at);
                        case 1 -> sb.insert(at, alphabet.charAt(random.nextInt(alphabet.length())));
                        default -> sb.setCharAt(at, alphabet.charAt(random.nextInt(alphabet.length())));
                    }
                }
            } else {
                int length = random.nextInt(200);
                for (int i = 0; i < length; i++) {
                    sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
                }
            }
            ParsedChallenges parsed = ChallengeParser.parse(List.of(sb.toString()));
            for (Challenge c : parsed.challenges()) {
                assertFalse(c.id().isEmpty());
                try {
                    c.chargeRequest();
                    c.expiresAt();
                } catch (MppProtocolException expected) {
                    // the only exception allowed for bad input
                }
            }
        }
    }

    @Test
    void choosesTheFirstUsableStripeChargeChallenge() {
        String badRequest = "Payment id=\"bad\", realm=\"x\", method=\"stripe\", intent=\"charge\", request=\"bm90IGpzb24\"";
        String badExpiry = "Payment id=\"late\", realm=\"x\", method=\"stripe\", intent=\"charge\", request=\"" + USD_REQUEST
                + "\", expires=\"tomorrow\"";
        ParsedChallenges parsed = parse(
                "Payment id=\"t\", realm=\"x\", method=\"tempo\", intent=\"charge\", request=\"" + USD_REQUEST + "\"",
                "Payment id=\"s\", realm=\"x\", method=\"stripe\", intent=\"session\", request=\"" + USD_REQUEST + "\"",
                badRequest, badExpiry, stripeChallenge("usd", USD_REQUEST) + ", " + stripeChallenge("eur", EUR_REQUEST));
        assertEquals(6, parsed.challenges().size());
        assertEquals(Optional.of("usd"), ChallengeParser.chooseStripeCharge(parsed.challenges()).map(Challenge::id));
        assertEquals(Optional.of("usd"), parsed.firstStripeCharge().map(Challenge::id));
        assertEquals(Optional.of("eur"), ChallengeParser.chooseStripeCharge(parsed.challenges(),
                c -> c.chargeRequest().currency().equals("eur")).map(Challenge::id));
        assertEquals(Optional.empty(), ChallengeParser.chooseStripeCharge(parsed.challenges(),
                c -> c.chargeRequest().currency().equals("gbp")));
        assertEquals(Optional.empty(), ChallengeParser.chooseStripeCharge(parsed.challenges().subList(0, 4)));
    }

    @Test
    void listsTheUsableStripeChargeOffersDecodedInServerOrder() {
        String badRequest = "Payment id=\"bad\", realm=\"x\", method=\"stripe\", intent=\"charge\", request=\"bm90IGpzb24\"";
        String badExpiry = "Payment id=\"late\", realm=\"x\", method=\"stripe\", intent=\"charge\", request=\"" + USD_REQUEST
                + "\", expires=\"tomorrow\"";
        ParsedChallenges parsed = parse(
                "Payment id=\"t\", realm=\"x\", method=\"tempo\", intent=\"charge\", request=\"" + USD_REQUEST + "\"",
                badRequest, stripeChallenge("eur", EUR_REQUEST) + ", " + badExpiry + ", " + stripeChallenge("usd", USD_REQUEST));
        List<ChallengeParser.StripeCharge> usable = ChallengeParser.stripeCharges(parsed.challenges());
        assertEquals(List.of("eur", "usd"), usable.stream().map(o -> o.challenge().id()).toList());
        assertEquals(230, usable.get(0).request().amountMinor());
        assertEquals("usd", usable.get(1).request().currency());
        assertEquals(Optional.of(Instant.parse("2030-01-15T12:05:00.123Z")), usable.get(1).expiresAt());
        assertEquals(List.of(), ChallengeParser.stripeCharges(parsed.challenges().subList(0, 2)));
    }

    @Test
    void expiryParsing() {
        Challenge millis = only(parse(stripeChallenge("a", USD_REQUEST)));
        assertEquals(Optional.of(Instant.parse("2030-01-15T12:05:00.123Z")), millis.expiresAt());
        assertTrue(millis.isExpiredAt(Instant.parse("2030-01-15T12:05:00.123Z")));
        assertFalse(millis.isExpiredAt(Instant.parse("2030-01-15T12:05:00.122Z")));

        Challenge offset = withExpires("2030-01-15T14:05:00+02:00");
        assertEquals(Optional.of(Instant.parse("2030-01-15T12:05:00Z")), offset.expiresAt());
        Challenge lower = withExpires("2030-01-15t12:05:00z");
        assertEquals(Optional.of(Instant.parse("2030-01-15T12:05:00Z")), lower.expiresAt());

        for (String bad : List.of("2030-01-15", "2030-01-15T12:05Z", "2030-01-15T12:05:00", "2030-02-30T12:05:00Z",
                "1736942700", "2030-01-15 12:05:00Z", "tomorrow")) {
            Challenge c = withExpires(bad);
            MppProtocolException e = assertThrows(MppProtocolException.class, c::expiresAt, bad);
            assertTrue(e.getMessage().contains("expires parameter is not an RFC 3339 date-time"), e.getMessage());
        }
    }

    private static Challenge withExpires(String expires) {
        return only(parse("Payment id=\"a\", realm=\"x\", method=\"stripe\", intent=\"charge\", request=\"" + USD_REQUEST
                + "\", expires=\"" + expires + "\""));
    }
}
