package io.mppbroker.audit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builds audit chains with the broker's own sealing and signing code, and writes them as JSONL. */
final class ChainFixture {

    static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");

    private ChainFixture() {}

    /** {@code n} payment lines, a checkpoint after every {@code checkpointEvery} of them (0: none). */
    static List<Map<String, Object>> chain(int n, int checkpointEvery, AuditKeys.SigningKey key) {
        List<Map<String, Object>> lines = new ArrayList<>();
        String prev = AuditLines.GENESIS;
        int payments = 0;
        while (payments < n) {
            long seq = lines.size() + 1;
            Map<String, Object> line = payments > 0 && checkpointEvery > 0 && payments % checkpointEvery == 0
                    && !AuditCheckpoint.EVENT.equals(lines.get(lines.size() - 1).get("event"))
                    ? AuditCheckpoint.sealed(seq, prev, T0.plusSeconds(seq), key)
                    : AuditLines.seal(content(++payments), seq, prev);
            lines.add(line);
            prev = (String) line.get(AuditLines.HASH);
        }
        return lines;
    }

    static Map<String, Object> content(int n) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("ts", T0.plusSeconds(n).toString());
        line.put("event", n % 2 == 0 ? "decision" : "request");
        line.put("agent", "research-agent");
        line.put("project", "research");
        line.put("task", "t-" + n);
        line.put("action", "mpp:pay");
        line.put("resource", "https://api.seller.example/reports/" + n);
        line.put("decision", n % 2 == 0 ? "ALLOW" : null);
        line.put("reason", "fixture line " + n);
        line.put("amount", "5.00");
        line.put("currency", "usd");
        line.put("payment_id", "pay_" + n);
        line.put("decision_id", n % 2 == 0 ? "dec_" + n : null);
        line.put("approved_by", null);
        line.put("receipt_reference", null);
        line.put("http_status", n % 2 == 0 ? null : 402);
        line.put("policy_version", n % 2 == 0 ? "a".repeat(64) : null);
        return line;
    }

    /** Re-seals lines from index {@code from} on, as an attacker rewriting the chain would (signatures untouched). */
    static List<Map<String, Object>> rechain(List<Map<String, Object>> lines, int from) {
        List<Map<String, Object>> out = new ArrayList<>(lines.subList(0, from));
        String prev = from == 0 ? AuditLines.GENESIS : (String) lines.get(from - 1).get(AuditLines.HASH);
        for (int i = from; i < lines.size(); i++) {
            Map<String, Object> line = new LinkedHashMap<>(lines.get(i));
            if (line.containsKey(AuditCheckpoint.COVERS_HASH)) line.put(AuditCheckpoint.COVERS_HASH, prev);
            Map<String, Object> sealed = AuditLines.seal(line, ((Number) line.get(AuditLines.SEQ)).longValue(), prev);
            out.add(sealed);
            prev = (String) sealed.get(AuditLines.HASH);
        }
        return out;
    }

    static void write(Path file, List<Map<String, Object>> lines) throws IOException {
        StringBuilder text = new StringBuilder();
        for (Map<String, Object> line : lines) text.append(AuditLines.toJson(line)).append('\n');
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }

    static List<String> readLines(Path file) throws IOException {
        return new ArrayList<>(Files.readAllLines(file, StandardCharsets.UTF_8));
    }

    static void writeLines(Path file, List<String> lines) throws IOException {
        Files.writeString(file, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
    }
}
