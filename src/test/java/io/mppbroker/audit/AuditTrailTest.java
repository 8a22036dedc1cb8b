package io.mppbroker.audit;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mppbroker.cli.BrokerCli;
import io.mppbroker.payment.FakeStripeResource;
import io.mppbroker.policy.Sha256;
import io.mppbroker.testkit.MppTestSeller;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The recording path and {@code GET /v1/audit/verify} on the real PostgreSQL: one gapless chain under
 * concurrency, rollbacks leave no trace, checkpoints signed with the broker's key, the file and the
 * database agree, and tampering with the file is reported.
 */
@QuarkusTest
@QuarkusTestResource(value = FakeStripeResource.class, restrictToAnnotatedClass = true)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AuditTrailTest {

    static final String AGENT = "Bearer qa-agent-token";
    static final String APPROVER = "Bearer qa-approver-token";

    static MppTestSeller seller;

    @Inject
    AuditTrail trail;
    @Inject
    AuditChain chain;
    @Inject
    AuditExporter exporter;
    @Inject
    AuditConfig config;
    @Inject
    AuditKeyring keyring;
    @Inject
    EntityManager em;

    @BeforeAll
    static void startSeller() {
        seller = MppTestSeller.builder(FakeStripeResource.stripe().baseUrl()).stripeSecretKey("sk_test_seller_audit_tests").start();
        seller.price("GET", "/report", "500", "usd");
    }

    @AfterAll
    static void stopSeller() {
        seller.close();
    }

    void record(String reason) {
        QuarkusTransaction.requiringNew().run(() -> trail.record(entry(reason)));
    }

    static AuditEntry entry(String reason) {
        return new AuditEntry(Instant.now(), "test_step", "qa-agent", "qa", "t-audit", AuditTrail.ACTION_PAY,
                "https://seller.example/x", null, reason, new BigDecimal("1.00"), "usd", "pay_test", null, null, null, null, null);
    }

    JsonPath verifyEndpoint() {
        return given().header("Authorization", APPROVER).get("/v1/audit/verify").then().statusCode(200).extract().jsonPath();
    }

    @SuppressWarnings("unchecked")
    List<Object[]> dbLines(long afterSeq) {
        return QuarkusTransaction.requiringNew().call(() -> em.createNativeQuery(
                "SELECT seq, line::text FROM audit_event WHERE seq > ?1 ORDER BY seq", Object[].class)
                .setParameter(1, afterSeq).getResultList());
    }

    long head() {
        return QuarkusTransaction.requiringNew().call(() -> em.find(AuditChainHead.class, AuditChainHead.ID).seq);
    }

    List<ObjectNode> fileLines() throws IOException {
        List<ObjectNode> lines = new ArrayList<>();
        for (Path file : AuditFiles.chainOf(config.file())) {
            for (String text : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                lines.add((ObjectNode) AuditLines.JSON.readTree(text));
            }
        }
        return lines;
    }

    @Test
    @Order(1)
    void aPaymentsLinesAreChainedAndItsDecisionNamesThePolicyVersion() throws IOException {
        String task = "t-" + UUID.randomUUID();
        given().header("Authorization", AGENT).contentType(ContentType.JSON)
                .body(Map.of("task", task, "purpose", "audit test", "request", Map.of("method", "GET", "url", seller.baseUrl() + "/report")))
                .post("/v1/payments").then().statusCode(200).body("status", equalTo("paid"));
        List<Map<String, Object>> audit = given().header("Authorization", AGENT).queryParam("task", task)
                .get("/v1/audit").then().statusCode(200).extract().jsonPath().getList("$");
        assertEquals(List.of("request", "challenge_received", "decision", "spt_minted", "paid"),
                audit.stream().map(l -> l.get("event")).toList());
        String policyVersion = Sha256.hex(Files.readAllBytes(Path.of("src/test/resources/test-budgets/qa.yaml")));
        assertEquals("ALLOW", audit.get(2).get("decision"));
        assertEquals(policyVersion, audit.get(2).get("policy_version"));
        assertEquals(policyVersion, audit.get(4).get("policy_version"), "the paid line names its decision's policy version");
        assertTrue(audit.get(0).containsKey("policy_version"));
        assertNull(audit.get(0).get("policy_version"), "no decision yet, no policy version");
        long previousSeq = 0;
        for (Map<String, Object> line : audit) {
            long seq = ((Number) line.get("seq")).longValue();
            assertTrue(seq > previousSeq);
            previousSeq = seq;
            assertEquals(line.get("hash"), AuditLines.hash(new LinkedHashMap<>(line)), "hash of " + line);
            assertEquals(64, ((String) line.get("prev_hash")).length());
        }
    }

    @Test
    @Order(2)
    void concurrentRecordersFormOneGaplessChainAndRollbacksLeaveNoTrace() throws Exception {
        exporter.exportPending();
        long before = head();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            int thread = t;
            done.add(pool.submit(() -> {
                for (int i = 0; i < 30; i++) {
                    String reason = "thread " + thread + " step " + i;
                    if (i % 5 == 4) {
                        try {
                            QuarkusTransaction.requiringNew().run(() -> {
                                trail.record(entry(reason + " rolled back"));
                                throw new IllegalStateException("roll back");
                            });
                        } catch (IllegalStateException expected) {
                            // the step and its audit line are gone together
                        }
                    } else {
                        record(reason);
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : done) f.get();
        pool.shutdown();

        chain.sealPending();
        List<Object[]> rows = dbLines(before);
        assertEquals(8 * 24, rows.size());
        assertEquals(before + 8 * 24, head());
        String prevHash = null;
        long expectedSeq = before + 1;
        for (Object[] row : rows) {
            ObjectNode line = (ObjectNode) AuditLines.JSON.readTree((String) row[1]);
            assertEquals(expectedSeq++, ((Number) row[0]).longValue());
            assertEquals(((Number) row[0]).longValue(), line.path("seq").asLong());
            assertEquals(line.path("hash").asText(), AuditLines.hash(line));
            if (prevHash != null) assertEquals(prevHash, line.path("prev_hash").asText());
            prevHash = line.path("hash").asText();
            assertTrue(!line.path("reason").asText().contains("rolled back"));
        }

        exporter.exportPending();
        List<ObjectNode> file = fileLines();
        List<ObjectNode> tail = file.subList(file.size() - rows.size(), file.size());
        for (int i = 0; i < rows.size(); i++) {
            assertEquals(AuditLines.JSON.readTree((String) rows.get(i)[1]), tail.get(i), "file line " + i + " is the database's line");
        }
        assertTrue(file.stream().noneMatch(l -> l.path("reason").asText().contains("rolled back")));

        JsonPath report = verifyEndpoint();
        assertEquals("ok", report.getString("status"), report.prettify());
        assertEquals(head(), report.getLong("last_seq"));
        assertEquals(file.size(), report.getLong("lines"));
    }

    @Test
    @Order(2)
    void aStepThatCommitsLateIsSealedAfterTheLinesThatCommittedBeforeIt() throws Exception {
        chain.sealPending();
        long before = head();
        String reason = "late " + UUID.randomUUID();
        CountDownLatch recorded = new CountDownLatch(1);
        CountDownLatch mayCommit = new CountDownLatch(1);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        // The slow step records first (the smaller id) and commits last.
        Future<?> slow = pool.submit(() -> QuarkusTransaction.requiringNew().run(() -> {
            trail.record(entry(reason + " slow"));
            recorded.countDown();
            try {
                assertTrue(mayCommit.await(30, TimeUnit.SECONDS));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }));
        assertTrue(recorded.await(30, TimeUnit.SECONDS));
        record(reason + " quick");
        chain.sealPending();
        List<Object[]> sealedFirst = dbLines(before);
        assertEquals(1, sealedFirst.size(), "only the committed line is sealed");
        assertTrue(((String) sealedFirst.get(0)[1]).contains(reason + " quick"));

        mayCommit.countDown();
        slow.get(30, TimeUnit.SECONDS);
        pool.shutdown();
        chain.sealPending();
        List<Object[]> rows = dbLines(before);
        assertEquals(2, rows.size(), "the late line is not lost: it follows in the chain");
        assertTrue(((String) rows.get(1)[1]).contains(reason + " slow"));
        assertEquals(before + 2, head());
        JsonPath report = verifyEndpoint();
        assertEquals("ok", report.getString("status"), report.prettify());
    }

    @Test
    @Order(3)
    void checkpointsAreSignedWithTheBrokersKeyAndTheCliVerifiesTheFiles() throws IOException {
        record("before checkpoint");
        long seq = exporter.checkpointNow().orElseThrow();
        assertTrue(exporter.checkpointNow().isEmpty(), "nothing new to cover");
        List<ObjectNode> file = fileLines();
        ObjectNode checkpoint = file.get(file.size() - 1);
        assertEquals("checkpoint", checkpoint.path("event").asText());
        assertEquals(seq, checkpoint.path("seq").asLong());
        assertEquals(keyring.signingKey().keyId(), checkpoint.path("key_id").asText());
        assertEquals(file.get(file.size() - 2).path("hash").asText(), checkpoint.path("covers_hash").asText());

        JsonPath report = verifyEndpoint();
        assertEquals("ok", report.getString("status"), report.prettify());
        assertEquals(seq, report.getLong("last_checkpoint_seq"));
        assertEquals(0, report.getLong("unsigned_lines"));
        assertTrue(report.getBoolean("signatures_checked"));

        // The broker generated its key under broker.data-dir and wrote the public half for verifiers.
        Path publicKey = Path.of("target/test-data/keys/audit-signing-key.pub.pem");
        assertEquals(keyring.signingKey().keyId(), AuditKeys.keyId(AuditKeys.readPublicKey(publicKey.toString())));
        StringWriter out = new StringWriter();
        int exit = BrokerCli.run(new PrintWriter(out, true), new PrintWriter(out, true), "audit", "verify",
                config.file().toAbsolutePath().getParent().toString(), "--public-key", publicKey.toString());
        assertEquals(0, exit, out.toString());
        assertTrue(out.toString().startsWith("OK: " + file.size() + " lines"), out.toString());
    }

    @Test
    @Order(4)
    void theFileFollowsCommitsOnItsOwn() throws Exception {
        String reason = "written without being asked " + UUID.randomUUID();
        record(reason);
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
        while (fileLines().stream().noneMatch(l -> l.path("reason").asText().equals(reason))) {
            assertTrue(System.nanoTime() < deadline, "the exporter wrote the committed line within 5 s");
            Thread.sleep(50);
        }
    }

    @Test
    @Order(4)
    void verifyingIsForApprovers() {
        given().get("/v1/audit/verify").then().statusCode(401);
        given().header("Authorization", AGENT).get("/v1/audit/verify").then().statusCode(403);
    }

    @Test
    @Order(5)
    void tamperingWithTheFileIsReportedAndTheDatabaseCatchesWhatTheFileCannotShow() throws IOException {
        for (int i = 0; i < 4; i++) record("tamper target " + i);
        exporter.checkpointNow();
        record("after the last checkpoint");
        exporter.exportPending();
        Path live = config.file().toAbsolutePath();
        byte[] original = Files.readAllBytes(live);
        List<String> lines = Files.readAllLines(live, StandardCharsets.UTF_8);
        int n = lines.size();
        assertTrue(n >= 7, "the live file holds the lines just written");
        try {
            // An edited reason.
            List<String> edited = new ArrayList<>(lines);
            int target = n - 4;
            assertTrue(edited.get(target).contains("tamper target"), edited.get(target));
            edited.set(target, edited.get(target).replace("tamper target", "nothing to see"));
            write(live, edited);
            JsonPath r = verifyEndpoint();
            assertEquals("broken", r.getString("status"));
            assertEquals("edited", r.getString("first_problem.kind"));
            assertEquals(target + 1, r.getInt("first_problem.line"));
            assertEquals("audit.jsonl", r.getString("first_problem.file"));

            // A deleted line.
            List<String> deleted = new ArrayList<>(lines);
            deleted.remove(target);
            write(live, deleted);
            assertEquals("deleted", verifyEndpoint().getString("first_problem.kind"));

            // Two lines swapped.
            List<String> swapped = new ArrayList<>(lines);
            java.util.Collections.swap(swapped, target, target + 1);
            write(live, swapped);
            assertEquals("reordered", verifyEndpoint().getString("first_problem.kind"));

            // The last two lines cut off cleanly: the file alone looks fine, the database has them.
            write(live, lines.subList(0, n - 2));
            r = verifyEndpoint();
            assertEquals("broken", r.getString("status"));
            assertEquals("truncated", r.getString("first_problem.kind"), r.prettify());

            // The line after the last checkpoint rewritten with a recomputed hash: consistent on its own, not the database's.
            Map<String, Object> last = AuditLines.JSON.readValue(lines.get(n - 1), new com.fasterxml.jackson.core.type.TypeReference<>() {});
            last.put("reason", "rewritten");
            List<String> rewritten = new ArrayList<>(lines.subList(0, n - 1));
            rewritten.add(AuditLines.toJson(AuditLines.seal(last, ((Number) last.get("seq")).longValue(), (String) last.get("prev_hash"))));
            write(live, rewritten);
            StringWriter out = new StringWriter();
            assertEquals(0, BrokerCli.run(new PrintWriter(out, true), new PrintWriter(out, true), "audit", "verify",
                    live.getParent().toString(), "--skip-signatures"), "the files alone cannot show it: " + out);
            r = verifyEndpoint();
            assertEquals("not_in_database", r.getString("first_problem.kind"), r.prettify());
            assertEquals(((Number) last.get("seq")).longValue(), r.getLong("first_problem.seq"));
        } finally {
            Files.write(live, original);
        }
        assertEquals("ok", verifyEndpoint().getString("status"));
    }

    private static void write(Path file, List<String> lines) throws IOException {
        Files.writeString(file, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
    }

    @Test
    @Order(6)
    void theHeadOnlyMovesForwardAndRowsCannotBeChanged() {
        record("a row to try to change");
        chain.sealPending();
        Exception e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () -> QuarkusTransaction.requiringNew().run(() ->
                em.createNativeQuery("UPDATE audit_chain_head SET seq = seq - 1").executeUpdate()));
        assertNotNull(e);
        org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () -> QuarkusTransaction.requiringNew().run(() ->
                em.createNativeQuery("UPDATE audit_chain_head SET seq = seq + 3").executeUpdate()),
                "the head cannot move over lines that are not in the chain");
        org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () -> QuarkusTransaction.requiringNew().run(() ->
                trail.record(new AuditEntry(Instant.now(), "test_step", "qa-agent", "qa", "t-audit", null, null, null,
                        "no action", null, null, null, null, null, null, null))),
                "a line the chain could not hold fails its step instead of holding up the sealer");
        org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () -> QuarkusTransaction.requiringNew().run(() ->
                em.createNativeQuery("TRUNCATE audit_pending").executeUpdate()));
        org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () -> QuarkusTransaction.requiringNew().run(() ->
                em.createNativeQuery("UPDATE audit_event SET reason = 'x' WHERE seq = (SELECT max(seq) FROM audit_event)").executeUpdate()));
        assertEquals("ok", verifyEndpoint().getString("status"));
    }
}
