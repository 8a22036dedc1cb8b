package io.mppbroker.it;

import static io.mppbroker.it.ItSupport.PG;
import static io.mppbroker.it.ItSupport.PG_USER;
import static io.mppbroker.it.ItSupport.PG_PASSWORD;
import static io.mppbroker.it.ItSupport.createDatabase;
import static io.mppbroker.it.ItSupport.sha256;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mppbroker.testkit.BrokerProcess;
import io.mppbroker.testkit.FakeStripe;
import io.mppbroker.testkit.MppxClient;
import io.mppbroker.testkit.MppxSeller;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Black-box SPT drop-in: the unmodified mppx CLI from npm, configured with the broker's gateway as its Stripe SPT
 * endpoint and the agent's broker token as its Stripe key, pays the real mppx seller. The packaged broker decides
 * with the project's policy and mints with its own key at the fake Stripe; the agent then reports the seller's
 * receipt, and the ledger, the audit chain and reconciliation show each charge joined to its decision.
 */
class SptDropInIT {

    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    static final String AGENT_TOKEN = "it-dropin-agent-token";
    static final String APPROVER_TOKEN = "it-dropin-approver-token";
    static final String BROKER_KEY = "sk_test_it_dropin_broker";
    /** The seller's Stripe network profile: its identity in the project's policy. */
    static final String SELLER_PROFILE = "profile_1MppxDropInSeller";

    static FakeStripe stripe;
    static MppxSeller seller;
    static BrokerProcess broker;
    static String database;

    @BeforeAll
    static void start() throws Exception {
        stripe = FakeStripe.start();
        seller = MppxSeller.start(stripe.baseUrl(), Map.of("MPP_NETWORK_ID", SELLER_PROFILE));
        database = createDatabase("mpp_it");
        Path budgets = Files.createTempDirectory("it-dropin-budgets");
        // Sellers are denied by default: the mppx seller is allowed by its network profile, as mints know no host.
        Files.writeString(budgets.resolve("dropin.yaml"), """
                project: dropin
                currency: usd
                agents:
                  - id: dropin-agent
                    token_sha256: "%s"
                payment:
                  stripe_payment_method: pm_card_visa
                budgets:
                  per_task: "50.00"
                  per_day: "100.00"
                tiers:
                  auto_below: "2.00"
                  explicit_above: "250.00"
                  ceiling: "1000.00"
                sellers:
                  default: deny
                  allow: ["%s"]
                recurring:
                  min_occurrences: 1000
                  window: 7d
                approvers:
                  - id: dropin-approver
                    token_sha256: "%s"
                """.formatted(sha256(AGENT_TOKEN), SELLER_PROFILE, sha256(APPROVER_TOKEN)));
        broker = BrokerProcess.start("dropin", Map.of(
                "QUARKUS_DATASOURCE_JDBC_URL", PG + database,
                "QUARKUS_DATASOURCE_USERNAME", PG_USER,
                "QUARKUS_DATASOURCE_PASSWORD", PG_PASSWORD,
                "BROKER_BUDGETS_DIR", budgets.toString(),
                "BROKER_STRIPE_API_BASE", stripe.baseUrl(),
                "BROKER_STRIPE_SECRET_KEY", BROKER_KEY,
                "BROKER_PAYMENTS_MINT_HOLD", "2s",
                "BROKER_AUDIT_FILE", budgets.resolve("audit.jsonl").toString(),
                "BROKER_DATA_DIR", Files.createTempDirectory("it-dropin-data").toString()));
    }

    @AfterAll
    static void stop() {
        if (broker != null) broker.close();
        if (seller != null) seller.close();
        if (stripe != null) stripe.close();
    }

    @Test
    void mppxPaysBelowTheAutoTierWithATokenMintedByTheBroker() throws Exception {
        MppxClient mppx = MppxClient.throughBroker(broker.baseUrl(), AGENT_TOKEN);
        MppxClient.Run run = mppx.fetch(seller.baseUrl() + "/paid/echo", "-J", "{\"hello\":\"drop-in\"}");
        assertEquals(0, run.exitCode(), run.toString());
        assertTrue(run.stdout().contains("drop-in"), run.toString());
        String receipt = run.paymentReceipt().orElseThrow(() -> new AssertionError("no Payment-Receipt\n" + run));

        FakeStripe.PaymentIntentRecord intent = sellerIntent(100);
        String paymentId = reportReceipt(intent.sharedPaymentGrantedToken(), receipt);
        JsonNode payment = get("/v1/payments/" + paymentId, AGENT_TOKEN).body();
        assertEquals("paid", payment.path("status").asText(), payment.toString());
        assertEquals("auto", payment.path("decision").path("tier").asText());
        assertEquals(intent.id(), payment.path("receipt").path("reference").asText());
        assertEquals(1, mintsFor(paymentId));
        assertJoinedInReconciliation(paymentId, intent.id());
        assertAudited(paymentId, "minted_for_agent", "receipt");
    }

    @Test
    void mppxInTheAskTierIsToldToRetryAndPaysAfterApproval() throws Exception {
        MppxClient mppx = MppxClient.throughBroker(broker.baseUrl(), AGENT_TOKEN);
        MppxClient.Run first = mppx.fetch(seller.baseUrl() + "/paid/report");
        assertEquals(77, first.exitCode(), "mppx's exit code for a Stripe error\n" + first);
        String said = first.stdout() + first.stderr();
        assertTrue(said.contains("Failed to create SPT") && said.contains("needs a human approval"), first.toString());
        Matcher m = Pattern.compile("pay_[A-Za-z0-9_-]+").matcher(said);
        assertTrue(m.find(), first.toString());
        String paymentId = m.group();

        JsonNode pending = get("/v1/approvals", APPROVER_TOKEN).body();
        String approvalId = StreamSupport.stream(pending.spliterator(), false)
                .filter(p -> p.path("payment").path("id").asText().equals(paymentId))
                .map(p -> p.path("approval").path("id").asText()).findFirst().orElse(null);
        assertNotNull(approvalId, pending.toString());
        Reply approved = post("/v1/approvals/" + approvalId, APPROVER_TOKEN, Map.of("decision", "approve", "note", "report ok"));
        assertEquals(200, approved.status(), approved.body().toString());

        MppxClient.Run retry = mppx.fetch(seller.baseUrl() + "/paid/report");
        assertEquals(0, retry.exitCode(), retry.toString());
        assertTrue(retry.stdout().contains("market report"), retry.toString());
        String receipt = retry.paymentReceipt().orElseThrow(() -> new AssertionError("no Payment-Receipt\n" + retry));

        FakeStripe.PaymentIntentRecord intent = sellerIntent(250);
        assertEquals(paymentId, reportReceipt(intent.sharedPaymentGrantedToken(), receipt));
        JsonNode payment = get("/v1/payments/" + paymentId, AGENT_TOKEN).body();
        assertEquals("paid", payment.path("status").asText(), payment.toString());
        assertEquals("human", payment.path("decision").path("basis").asText());
        assertEquals("dropin-approver", payment.path("decision").path("approved_by").asText());
        assertEquals(1, mintsFor(paymentId), "one token for the approved payment, however often mppx asked");
        assertJoinedInReconciliation(paymentId, intent.id());
        assertAudited(paymentId, "decision", "approval", "minted_for_agent", "receipt");
    }

    /** The seller's PaymentIntent for this amount: it names the token it was paid with. */
    static FakeStripe.PaymentIntentRecord sellerIntent(long amountMinor) {
        List<FakeStripe.PaymentIntentRecord> intents = stripe.paymentIntents().stream()
                .filter(p -> p.amount() == amountMinor && p.status().equals("succeeded")).toList();
        assertEquals(1, intents.size(), intents.toString());
        return intents.get(0);
    }

    /** The agent reports the seller's Payment-Receipt, naming the payment by its token. */
    static String reportReceipt(String spt, String receipt) throws Exception {
        Reply r = post("/v1/payments/receipts", AGENT_TOKEN, Map.of("spt", spt, "receipt", receipt));
        assertEquals(200, r.status(), r.body().toString());
        return r.body().path("id").asText();
    }

    /** Tokens the broker minted at Stripe (its own account) for this payment. */
    static long mintsFor(String paymentId) {
        return stripe.issuedTokens().stream()
                .filter(t -> t.account().equals(FakeStripe.accountOf(BROKER_KEY)))
                .filter(t -> paymentId.equals(t.metadata().get("payment_id"))).count();
    }

    static void assertJoinedInReconciliation(String paymentId, String paymentIntent) throws Exception {
        JsonNode report = get("/v1/reports/reconciliation?project=dropin", APPROVER_TOKEN).body();
        JsonNode row = StreamSupport.stream(report.path("charges").spliterator(), false)
                .filter(c -> c.path("payment_id").asText().equals(paymentId)).findFirst()
                .orElseThrow(() -> new AssertionError(report.toString()));
        assertEquals(paymentIntent, row.path("receipt_reference").asText(), row.toString());
        assertTrue(row.path("decision_id").asText().startsWith("dec_"), row.toString());
        assertEquals(0, row.path("discrepancies").size(), row.toString());
        // The budget ledger captured exactly what the seller charged.
        try (Connection c = DriverManager.getConnection(PG + database, PG_USER, PG_PASSWORD);
             ResultSet rs = c.createStatement().executeQuery(
                     "SELECT state, amount FROM budget_reservation WHERE payment_id = '" + paymentId + "'")) {
            assertTrue(rs.next(), "a budget reservation for " + paymentId);
            assertEquals("CAPTURED", rs.getString(1));
            assertEquals(0, new BigDecimal(row.path("amount").asText()).compareTo(rs.getBigDecimal(2)));
        }
    }

    static void assertAudited(String paymentId, String... events) throws Exception {
        Reply verified = get("/v1/audit/verify", APPROVER_TOKEN);
        assertEquals("ok", verified.body().path("status").asText(), verified.body().toString());
        JsonNode lines = get("/v1/audit?agent=dropin-agent", APPROVER_TOKEN).body();
        List<String> seen = StreamSupport.stream(lines.spliterator(), false)
                .filter(l -> l.path("payment_id").asText().equals(paymentId)).map(l -> l.path("event").asText()).toList();
        for (String event : events) {
            assertTrue(seen.contains(event), event + " in " + seen);
        }
    }

    record Reply(int status, JsonNode body) {}

    static Reply post(String path, String token, Object body) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(broker.baseUrl() + path))
                .timeout(Duration.ofSeconds(90)).header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build(),
                HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), JSON.readTree(r.body().isEmpty() ? "{}" : r.body()));
    }

    static Reply get(String path, String token) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(broker.baseUrl() + path))
                .timeout(Duration.ofSeconds(90)).header("Authorization", "Bearer " + token).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), JSON.readTree(r.body()));
    }
}
