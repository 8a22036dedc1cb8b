package io.mppbroker.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every kind of tampering with the audit files is detected, and named: the chain is built with the broker's own
 * sealing and signing code, then edited the way someone covering their tracks would.
 */
class AuditVerifierTest {

    static final AuditKeys.SigningKey KEY = AuditKeys.SigningKey.generate();
    static final AuditKeys.SigningKey OTHER_KEY = AuditKeys.SigningKey.generate();

    @TempDir
    Path dir;

    /** 20 payment lines, checkpoints after every 5 (seq 6, 12, 18): 23 lines, the last 5 not yet signed. */
    final List<Map<String, Object>> chain = ChainFixture.chain(20, 5, KEY);

    Path file() throws IOException {
        Path file = dir.resolve("audit.jsonl");
        ChainFixture.write(file, chain);
        return file;
    }

    static AuditReport verify(Path... files) throws IOException {
        return AuditVerifier.verify(List.of(files), new AuditVerifier.Options(Map.of(KEY.keyId(), KEY.publicKey()), true, false));
    }

    static void assertProblem(AuditReport report, String kind, long line, Long seq) {
        assertEquals(AuditReport.BROKEN, report.status(), String.valueOf(report));
        assertEquals(kind, report.firstProblem().kind(), report.firstProblem().detail());
        assertEquals(line, report.firstProblem().line(), report.firstProblem().detail());
        assertEquals(seq, report.firstProblem().seq(), report.firstProblem().detail());
    }

    @Test
    void anUntouchedChainVerifies() throws IOException {
        AuditReport r = verify(file());
        assertEquals(AuditReport.OK, r.status(), String.valueOf(r.firstProblem()));
        assertNull(r.firstProblem());
        assertEquals(23, r.lines());
        assertEquals(3, r.checkpoints());
        assertEquals(1L, r.firstSeq());
        assertEquals(23L, r.lastSeq());
        assertEquals(18L, r.lastCheckpointSeq());
        assertEquals(5, r.unsignedLines());
        assertEquals(chain.get(22).get(AuditLines.HASH), r.lastHash());
    }

    @Test
    void eachLineHashesItsCanonicalFormWithoutTheHash() {
        Map<String, Object> first = chain.get(0);
        assertEquals(AuditLines.GENESIS, first.get(AuditLines.PREV_HASH));
        Map<String, Object> content = new LinkedHashMap<>(first);
        content.remove(AuditLines.HASH);
        // RFC 8785: keys sorted, no whitespace; computed here independently of AuditLines.hash.
        List<String> keys = new ArrayList<>(content.keySet());
        Collections.sort(keys);
        StringBuilder jcs = new StringBuilder("{");
        for (String k : keys) {
            Object v = content.get(k);
            jcs.append(jcs.length() > 1 ? "," : "").append('"').append(k).append("\":")
                    .append(v == null ? "null" : v instanceof Number ? v.toString() : "\"" + v + "\"");
        }
        jcs.append('}');
        assertEquals(AuditLines.sha256Hex(jcs.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8)),
                first.get(AuditLines.HASH));
        assertEquals(first.get(AuditLines.HASH), chain.get(1).get(AuditLines.PREV_HASH));
    }

    @Test
    void reformattingALineDoesNotBreakItButChangingAValueDoes() throws IOException {
        Path file = file();
        List<String> lines = ChainFixture.readLines(file);
        lines.set(2, lines.get(2).replace(",", ", "));
        ChainFixture.writeLines(file, lines);
        assertEquals(AuditReport.OK, verify(file).status());
    }

    @Test
    void anEditedFieldIsDetectedAtThatLine() throws IOException {
        Path file = file();
        List<String> lines = ChainFixture.readLines(file);
        assertTrue(lines.get(6).contains("\"amount\":\"5.00\""));
        lines.set(6, lines.get(6).replace("\"amount\":\"5.00\"", "\"amount\":\"0.50\""));
        ChainFixture.writeLines(file, lines);
        AuditReport r = verify(file);
        assertProblem(r, "edited", 7, 7L);
        assertEquals(6, r.lines());
    }

    @Test
    void anEditWithARecomputedHashBreaksTheNextLink() throws IOException {
        List<Map<String, Object>> edited = new ArrayList<>(chain);
        Map<String, Object> line = new LinkedHashMap<>(chain.get(6));
        line.put("amount", "0.50");
        edited.set(6, AuditLines.seal(line, 7, (String) line.get(AuditLines.PREV_HASH)));
        Path file = dir.resolve("audit.jsonl");
        ChainFixture.write(file, edited);
        assertProblem(verify(file), "edited", 8, 8L);
    }

    @Test
    void aRewrittenChainFailsAtTheNextCheckpointSignature() throws IOException {
        List<Map<String, Object>> edited = new ArrayList<>(chain);
        Map<String, Object> line = new LinkedHashMap<>(chain.get(6));
        line.put("amount", "0.50");
        edited.set(6, line);
        Path file = dir.resolve("audit.jsonl");
        ChainFixture.write(file, ChainFixture.rechain(edited, 6));
        // Every hash and link is consistent again; only the checkpoint at seq 12 (signed over the old hashes) can tell.
        assertProblem(verify(file), "bad_signature", 12, 12L);
    }

    @Test
    void aDeletedLineIsDetected() throws IOException {
        Path file = file();
        List<String> lines = ChainFixture.readLines(file);
        lines.remove(4);
        ChainFixture.writeLines(file, lines);
        AuditReport r = verify(file);
        assertProblem(r, "deleted", 5, 6L);
        assertTrue(r.firstProblem().detail().contains("seq 5 is missing"), r.firstProblem().detail());
    }

    @Test
    void deletingTheFirstLinesIsDetected() throws IOException {
        Path file = file();
        List<String> lines = ChainFixture.readLines(file);
        ChainFixture.writeLines(file, lines.subList(3, lines.size()));
        assertProblem(verify(file), "deleted", 1, 4L);
    }

    @Test
    void swappedLinesAreReportedAsReordered() throws IOException {
        Path file = file();
        List<String> lines = ChainFixture.readLines(file);
        Collections.swap(lines, 9, 10);
        ChainFixture.writeLines(file, lines);
        AuditReport r = verify(file);
        assertProblem(r, "reordered", 10, 11L);
        assertTrue(r.firstProblem().detail().contains("seq 10 comes later"), r.firstProblem().detail());
    }

    @Test
    void aCopiedLineIsReportedAsDuplicated() throws IOException {
        Path file = file();
        List<String> lines = ChainFixture.readLines(file);
        lines.add(8, lines.get(3));
        ChainFixture.writeLines(file, lines);
        assertProblem(verify(file), "duplicated", 9, 4L);
    }

    @Test
    void aLastLineCutMidwayIsReportedAsTruncated() throws IOException {
        Path file = file();
        String text = Files.readString(file);
        Files.writeString(file, text.substring(0, text.length() - 40));
        assertProblem(verify(file), "truncated", 23, null);
    }

    @Test
    void aForgedCheckpointSignatureIsDetected() throws IOException {
        List<Map<String, Object>> forged = new ArrayList<>(chain);
        Map<String, Object> checkpoint = new LinkedHashMap<>(chain.get(11));
        assertEquals(AuditCheckpoint.EVENT, checkpoint.get("event"));
        byte[] signature = Base64.getDecoder().decode((String) checkpoint.get(AuditCheckpoint.SIGNATURE));
        signature[10] ^= 1;
        checkpoint.put(AuditCheckpoint.SIGNATURE, Base64.getEncoder().encodeToString(signature));
        forged.set(11, checkpoint);
        Path file = dir.resolve("audit.jsonl");
        ChainFixture.write(file, ChainFixture.rechain(forged, 11));
        AuditReport r = verify(file);
        assertProblem(r, "bad_signature", 12, 12L);
        assertTrue(r.firstProblem().detail().contains("does not verify with key " + KEY.keyId()), r.firstProblem().detail());
    }

    @Test
    void aCheckpointSignedWithAnotherKeyIsDetected() throws IOException {
        List<Map<String, Object>> forged = new ArrayList<>(chain);
        Map<String, Object> genuine = chain.get(5);
        forged.set(5, AuditCheckpoint.sealed(6, (String) genuine.get(AuditLines.PREV_HASH), ChainFixture.T0, OTHER_KEY));
        Path file = dir.resolve("audit.jsonl");
        ChainFixture.write(file, ChainFixture.rechain(forged, 6));
        AuditReport r = verify(file);
        assertProblem(r, "bad_signature", 6, 6L);
        assertTrue(r.firstProblem().detail().contains(OTHER_KEY.keyId() + ", which is not a trusted verify key"), r.firstProblem().detail());
    }

    @Test
    void aCheckpointClaimingAnotherKeyIdButSignedByAnotherKeyIsDetected() throws IOException {
        List<Map<String, Object>> forged = new ArrayList<>(chain);
        AuditKeys.SigningKey impostor = new AuditKeys.SigningKey(OTHER_KEY.privateKey(), OTHER_KEY.publicKey(), KEY.keyId());
        forged.set(5, AuditCheckpoint.sealed(6, (String) chain.get(5).get(AuditLines.PREV_HASH), ChainFixture.T0, impostor));
        Path file = dir.resolve("audit.jsonl");
        ChainFixture.write(file, ChainFixture.rechain(forged, 6));
        assertProblem(verify(file), "bad_signature", 6, 6L);
    }

    @Test
    void aCheckpointMovedToCoverOtherLinesIsDetected() throws IOException {
        List<Map<String, Object>> moved = new ArrayList<>(chain);
        Map<String, Object> checkpoint = new LinkedHashMap<>(chain.get(5));
        checkpoint.put(AuditCheckpoint.COVERS_SEQ, 4);
        moved.set(5, checkpoint);
        Path file = dir.resolve("audit.jsonl");
        ChainFixture.write(file, ChainFixture.rechain(moved, 5));
        assertProblem(verify(file), "bad_checkpoint", 6, 6L);
    }

    @Test
    void signaturesCanBeSkippedButThenNothingIsSigned() throws IOException {
        List<Map<String, Object>> forged = new ArrayList<>(chain);
        forged.set(5, AuditCheckpoint.sealed(6, (String) chain.get(5).get(AuditLines.PREV_HASH), ChainFixture.T0, OTHER_KEY));
        Path file = dir.resolve("audit.jsonl");
        ChainFixture.write(file, ChainFixture.rechain(forged, 6));
        AuditReport r = AuditVerifier.verify(List.of(file), new AuditVerifier.Options(Map.of(), false, false));
        assertEquals(AuditReport.OK, r.status());
        assertEquals(false, r.signaturesChecked());
        assertNull(r.lastCheckpointSeq());
    }

    @Test
    void rotatedFilesVerifyAsOneChainAndAMissingMiddleFileIsDetected() throws IOException {
        Path live = dir.resolve("audit.jsonl");
        try (AuditFileWriter writer = AuditFileWriter.open(live, 2_000)) {
            for (Map<String, Object> line : chain) {
                writer.append(((Number) line.get(AuditLines.SEQ)).longValue(), (String) line.get(AuditLines.HASH), AuditLines.toJson(line));
            }
        }
        List<Path> files = AuditFiles.inDirectory(dir);
        assertTrue(files.size() >= 4, files.toString());
        assertEquals("audit-000000000001.jsonl", files.get(0).getFileName().toString());
        assertEquals(live, files.get(files.size() - 1));
        for (Path f : files) assertTrue(Files.size(f) <= 2_000, f + " " + Files.size(f));
        assertEquals(files, AuditFiles.chainOf(live));
        AuditReport whole = verify(files.toArray(Path[]::new));
        assertEquals(AuditReport.OK, whole.status(), String.valueOf(whole.firstProblem()));
        assertEquals(23, whole.lines());

        Path middle = files.get(1);
        Path next = files.get(2);
        long firstMissing = firstSeq(middle);
        Files.delete(middle);
        AuditReport r = verify(AuditFiles.inDirectory(dir).toArray(Path[]::new));
        assertEquals("deleted", r.firstProblem().kind());
        assertEquals(next.getFileName().toString(), r.firstProblem().file());
        assertEquals(1L, r.firstProblem().line());
        assertTrue(r.firstProblem().detail().contains("seq " + firstMissing) && r.firstProblem().detail().contains("rotated file missing"),
                r.firstProblem().detail());
    }

    @Test
    void oneRotatedFileVerifiesOnItsOwnOnlyAsASegment() throws IOException {
        Path live = dir.resolve("audit.jsonl");
        try (AuditFileWriter writer = AuditFileWriter.open(live, 2_000)) {
            for (Map<String, Object> line : chain) {
                writer.append(((Number) line.get(AuditLines.SEQ)).longValue(), (String) line.get(AuditLines.HASH), AuditLines.toJson(line));
            }
        }
        Path second = AuditFiles.inDirectory(dir).get(1);
        assertEquals("deleted", verify(second).firstProblem().kind());
        Map<String, PublicKey> keys = Map.of(KEY.keyId(), KEY.publicKey());
        assertEquals(AuditReport.OK, AuditVerifier.verify(List.of(second), new AuditVerifier.Options(keys, true, true)).status());
    }

    @Test
    void theWriterPicksUpTheTailAndCompletesOrCutsAnInterruptedLine() throws IOException {
        Path live = dir.resolve("audit.jsonl");
        ChainFixture.write(live, chain);
        String text = Files.readString(live);

        Files.writeString(live, text.substring(0, text.length() - 1)); // the newline of the last line was never written
        try (AuditFileWriter writer = AuditFileWriter.open(live, 1 << 20)) {
            assertEquals(23, writer.tail().orElseThrow().seq());
            assertEquals(1, writer.repairs().size());
        }
        assertEquals(text, Files.readString(live));

        Files.writeString(live, text.substring(0, text.length() - 30)); // half a line
        try (AuditFileWriter writer = AuditFileWriter.open(live, 1 << 20)) {
            assertEquals(22, writer.tail().orElseThrow().seq());
            assertEquals(chain.get(21).get(AuditLines.HASH), writer.tail().orElseThrow().hash());
            Map<String, Object> last = chain.get(22);
            writer.append(23, (String) last.get(AuditLines.HASH), AuditLines.toJson(last));
        }
        assertEquals(text, Files.readString(live));
        assertEquals(AuditReport.OK, verify(live).status());
    }

    @Test
    void aCopiedLineWithGarbageAfterItOrARepeatedKeyIsAnEdit() throws IOException {
        Path file = file();
        List<String> lines = ChainFixture.readLines(file);
        lines.set(1, lines.get(1) + " {\"amount\":\"999.00\"}");
        ChainFixture.writeLines(file, lines);
        assertProblem(verify(file), "edited", 2, null);

        lines = ChainFixture.readLines(file());
        lines.set(1, lines.get(1).replace("{\"seq\":2,", "{\"seq\":2,\"amount\":\"999.00\","));
        ChainFixture.writeLines(file, lines);
        assertProblem(verify(file), "edited", 2, null);
    }

    @Test
    void keysRoundTripThroughPemAndThePublicKeyDerivesFromThePrivateKey() {
        String privatePem = AuditKeys.privatePem(KEY.privateKey());
        assertTrue(privatePem.startsWith("-----BEGIN PRIVATE KEY-----\n"), privatePem);
        AuditKeys.SigningKey reread = AuditKeys.SigningKey.of(AuditKeys.readPrivateKey(privatePem));
        assertEquals(KEY.keyId(), reread.keyId());
        assertEquals(KEY.publicKey(), reread.publicKey());
        assertEquals(KEY.publicKey(), AuditKeys.readPublicKey(AuditKeys.publicPem(KEY.publicKey())));
        assertEquals(KEY.publicKey(), AuditKeys.readPublicKey(privatePem));
        assertEquals(KEY.publicKey(), AuditKeys.readPublicKey(Base64.getEncoder().encodeToString(KEY.publicKey().getEncoded())));
        assertNotEquals(KEY.keyId(), OTHER_KEY.keyId());
        assertEquals(16, KEY.keyId().length());
    }

    @Test
    void aKeyFromOpenSslIsReadAndItsIdIsTheHashOfItsPublicKeyDer() throws IOException {
        // Generated with `openssl genpkey -algorithm ed25519`; `openssl pkey -pubout -outform DER | sha256sum` starts with the id.
        String pem = """
                -----BEGIN PRIVATE KEY-----
                MC4CAQAwBQYDK2VwBCIEIImb8cnNicesMK1d/bBDLSEUFJj61ejsOrrXdL73k91g
                -----END PRIVATE KEY-----
                """;
        Path keyFile = dir.resolve("openssl.pem");
        Files.writeString(keyFile, pem);
        AuditKeys.SigningKey key = AuditKeys.SigningKey.of(AuditKeys.readPrivateKey(keyFile.toString()));
        assertEquals(OPENSSL_KEY_ID, key.keyId());
        assertEquals(OPENSSL_PUBLIC_DER_BASE64, Base64.getEncoder().encodeToString(key.publicKey().getEncoded()));
    }

    static final String OPENSSL_KEY_ID = "a0a94c44635ec03d";
    static final String OPENSSL_PUBLIC_DER_BASE64 = "MCowBQYDK2VwAyEAtlbly53173YkwrBrNZCKzfTY7/UkdtffmMhAoVfbw2k=";

    private static long firstSeq(Path file) throws IOException {
        String first = Files.readAllLines(file).get(0);
        return AuditLines.JSON.readTree(first).path(AuditLines.SEQ).asLong();
    }
}
