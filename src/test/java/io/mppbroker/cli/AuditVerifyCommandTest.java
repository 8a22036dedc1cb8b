package io.mppbroker.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mppbroker.audit.AuditCheckpoint;
import io.mppbroker.audit.AuditKeys;
import io.mppbroker.audit.AuditLines;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code audit verify} as an operator runs it: exit codes and what it prints. */
class AuditVerifyCommandTest {

    static final AuditKeys.SigningKey KEY = AuditKeys.SigningKey.generate();

    @TempDir
    Path dir;
    Path file;
    Path publicKey;
    final StringWriter out = new StringWriter();
    final StringWriter err = new StringWriter();

    @BeforeEach
    void writeChain() throws IOException {
        List<String> lines = new ArrayList<>();
        String prev = AuditLines.GENESIS;
        for (int seq = 1; seq <= 4; seq++) {
            Map<String, Object> line = seq == 4 ? AuditCheckpoint.sealed(seq, prev, Instant.parse("2026-03-01T10:00:00Z"), KEY)
                    : AuditLines.seal(new LinkedHashMap<>(Map.of("ts", "2026-03-01T10:00:0" + seq + "Z", "event", "request",
                    "action", "mpp:pay", "amount", "5.00")), seq, prev);
            lines.add(AuditLines.toJson(line));
            prev = (String) line.get(AuditLines.HASH);
        }
        file = dir.resolve("audit.jsonl");
        Files.writeString(file, String.join("\n", lines) + "\n");
        publicKey = dir.resolve("audit-signing-key.pub.pem");
        Files.writeString(publicKey, AuditKeys.publicPem(KEY.publicKey()));
    }

    int run(String... args) {
        return BrokerCli.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    @Test
    void anIntactFileIsOk() {
        assertEquals(0, run("audit", "verify", file.toString(), "--public-key", publicKey.toString()), err.toString());
        assertTrue(out.toString().startsWith("OK: 4 lines (seq 1 to 4) in audit.jsonl, 1 checkpoints with valid signatures"
                + " (trusted key ids: " + KEY.keyId() + ")"), out.toString());
    }

    @Test
    void aDirectoryIsVerifiedAsOneChain() {
        assertEquals(0, run("audit", "verify", dir.toString(), "--public-key", publicKey.toString()), err.toString());
    }

    @Test
    void anEditedFileIsBrokenWithExitCode1() throws IOException {
        Files.writeString(file, Files.readString(file).replaceFirst("5\\.00", "6.00"));
        assertEquals(1, run("audit", "verify", file.toString(), "--public-key", publicKey.toString()));
        assertTrue(out.toString().startsWith("BROKEN: audit.jsonl line 1 (seq 1): edited: content does not match the line's hash"),
                out.toString());
    }

    @Test
    void jsonOutputHasTheEndpointsShape() throws IOException {
        Files.writeString(file, Files.readString(file).substring(0, Files.readString(file).length() - 20));
        assertEquals(1, run("audit", "verify", file.toString(), "--public-key", publicKey.toString(), "--json"));
        JsonNode report = new ObjectMapper().readTree(out.toString());
        assertEquals("broken", report.path("status").asText());
        assertEquals(3, report.path("lines").asInt());
        assertEquals("truncated", report.path("first_problem").path("kind").asText());
        assertEquals(4, report.path("first_problem").path("line").asInt());
    }

    @Test
    void aCheckpointByAnotherKeyIsBroken() throws IOException {
        Path other = dir.resolve("other.pub.pem");
        Files.writeString(other, AuditKeys.publicPem(AuditKeys.SigningKey.generate().publicKey()));
        assertEquals(1, run("audit", "verify", file.toString(), "--public-key", other.toString()));
        assertTrue(out.toString().contains("bad_signature"), out.toString());
    }

    @Test
    void withoutAKeyItRefusesUnlessToldToSkipSignatures() {
        assertEquals(2, run("audit", "verify", file.toString()));
        assertTrue(err.toString().contains("--public-key"), err.toString());
        assertEquals(0, run("audit", "verify", file.toString(), "--skip-signatures"));
        assertTrue(out.toString().contains("signatures NOT checked"), out.toString());
    }

    @Test
    void usageErrorsExitWith2() {
        assertEquals(2, run("audit", "verify", dir.resolve("missing.jsonl").toString(), "--skip-signatures"));
        assertEquals(2, run("audit", "verify"));
        assertEquals(2, run("audit"));
        assertEquals(2, run("audit", "verify", file.toString(), "--no-such-option"));
        assertEquals(2, run("audit", "verify", file.toString(), "--public-key", "not-a-key"));
    }

    @Test
    void onlyKnownCommandsAreDispatched() {
        assertTrue(BrokerCli.handles("audit", "verify", "x"));
        assertFalse(BrokerCli.handles());
        assertFalse(BrokerCli.handles("-Dquarkus.http.port=9000"));
    }
}
