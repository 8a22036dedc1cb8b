package io.mppbroker.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.mppbroker.audit.AuditFiles;
import io.mppbroker.audit.AuditKeys;
import io.mppbroker.audit.AuditReport;
import io.mppbroker.audit.AuditVerifier;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "verify", mixinStandardHelpOptions = true,
        description = {"Verifies audit JSONL files: every line's hash, the seq order and prev_hash links (across rotated"
                + " files of a directory), and every checkpoint's Ed25519 signature. Prints OK or the first line that was"
                + " edited, deleted, reordered, duplicated or truncated, or the first bad checkpoint.",
                "Exit code: 0 OK, 1 broken, 2 usage error or unreadable input."})
final class AuditVerifyCommand implements Callable<Integer> {

    static final String KEY_ENV = "BROKER_AUDIT_VERIFY_KEY";

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "<file|dir>",
            description = "An audit file, or a directory: its *.jsonl files are verified as one chain, rotated files"
                    + " (name-<first seq>.jsonl) by number, then the live file.")
    Path path;

    @Option(names = "--public-key", paramLabel = "<pem>",
            description = "Public key that checkpoints must verify with (PEM file, PEM text or base64 DER; a private key"
                    + " PEM works too). Repeat for several keys. Default: $" + KEY_ENV + " (comma-separated).")
    List<String> publicKeys = new ArrayList<>();

    @Option(names = "--skip-signatures", description = "Check the hash chain only, not checkpoint signatures.")
    boolean skipSignatures;

    @Option(names = "--segment", description = "Accept a first line that is not the start of the chain"
            + " (to check one rotated file on its own).")
    boolean segment;

    @Option(names = "--json", description = "Print the report as JSON (the same form as GET /v1/audit/verify).")
    boolean json;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (!Files.exists(path)) {
            err.println("no such file or directory: " + path);
            return BrokerCli.USAGE;
        }
        List<Path> files = Files.isDirectory(path) ? AuditFiles.inDirectory(path) : List.of(path);
        if (files.isEmpty()) {
            err.println("no *.jsonl files in " + path);
            return BrokerCli.USAGE;
        }
        List<String> specs = new ArrayList<>(publicKeys);
        String fromEnv = System.getenv(KEY_ENV);
        if (specs.isEmpty() && fromEnv != null && !fromEnv.isBlank()) {
            specs.addAll(List.of(fromEnv.split(",")));
        }
        if (specs.isEmpty() && !skipSignatures) {
            err.println("checkpoint signatures need the broker's public key: give --public-key <pem> (the broker writes it"
                    + " to <broker.data-dir>/keys/audit-signing-key.pub.pem), or --skip-signatures to check the chain only");
            return BrokerCli.USAGE;
        }
        Map<String, PublicKey> keys = new LinkedHashMap<>();
        for (String spec : specs) {
            try {
                PublicKey key = AuditKeys.readPublicKey(spec);
                keys.put(AuditKeys.keyId(key), key);
            } catch (RuntimeException e) {
                err.println("unusable public key " + (spec.length() > 80 ? spec.substring(0, 80) + "…" : spec) + ": " + e.getMessage());
                return BrokerCli.USAGE;
            }
        }
        AuditReport report = AuditVerifier.verify(files, new AuditVerifier.Options(keys, !skipSignatures, segment));
        out.println(json ? asJson(report) : describe(report, keys));
        return report.ok() ? BrokerCli.OK : BrokerCli.BROKEN;
    }

    static String describe(AuditReport r, Map<String, PublicKey> keys) {
        String range = r.firstSeq() == null ? "" : " (seq " + r.firstSeq() + " to " + r.lastSeq() + ")";
        String files = r.files().size() == 1 ? r.files().get(0) : r.files().size() + " files";
        if (!r.ok()) {
            AuditReport.Problem p = r.firstProblem();
            return "BROKEN: " + p.file() + (p.line() == null ? "" : " line " + p.line())
                    + (p.seq() == null ? "" : " (seq " + p.seq() + ")") + ": " + p.kind() + ": " + p.detail()
                    + "\n" + r.lines() + " lines before it verified" + range + ".";
        }
        String signatures = !r.signaturesChecked() ? r.checkpoints() + " checkpoints (signatures NOT checked)"
                : r.checkpoints() + " checkpoints with valid signatures (trusted key ids: " + String.join(", ", keys.keySet()) + ")";
        String tail = r.unsignedLines() == 0 || !r.signaturesChecked() ? ""
                : "; the last " + r.unsignedLines() + " lines are chained but not yet covered by a checkpoint";
        return "OK: " + r.lines() + " lines" + range + " in " + files + ", " + signatures + tail + ".";
    }

    private static String asJson(AuditReport report) throws IOException {
        return new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                .enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(report);
    }
}
