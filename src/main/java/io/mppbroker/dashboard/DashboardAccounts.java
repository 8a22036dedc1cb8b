package io.mppbroker.dashboard;

import at.favre.lib.crypto.bcrypt.BCrypt;
import at.favre.lib.crypto.bcrypt.LongPasswordStrategies;
import io.mppbroker.policy.Sha256;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.jboss.logging.Logger;

/**
 * Dashboard passwords, read from an htpasswd-format file ({@code broker.dashboard.accounts-file}): one
 * {@code approver-id:hash} line per approver, bcrypt hashes only ({@code $2y$}, {@code $2a$}, {@code $2b$},
 * as {@code htpasswd -B} writes them). The file is re-read when its contents change (checked at most every
 * two seconds, on use). A file with errors is logged once and never replaces the last valid version, as
 * with policy files. Which projects an approver may decide for comes from the policy files, not from here.
 */
@ApplicationScoped
public class DashboardAccounts {

    private static final Logger LOG = Logger.getLogger(DashboardAccounts.class);
    private static final long RECHECK_NANOS = 2_000_000_000L;
    /** Same syntax as approver ids in policy files (docs/policy.md). */
    static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}");
    private static final Pattern BCRYPT = Pattern.compile("\\$2[aby]\\$(\\d\\d)\\$[./A-Za-z0-9]{53}");
    private static final int RECOMMENDED_COST = 10;
    /** Verified against for unknown ids, so a wrong id costs as much time as a wrong password. */
    private static final char[] DUMMY_HASH = BCrypt.withDefaults().hashToString(RECOMMENDED_COST,
            "no such account".toCharArray()).toCharArray();
    /** htpasswd and OpenBSD bcrypt use only the first 72 bytes of a password; do the same. */
    private static final BCrypt.Verifyer VERIFYER = BCrypt.verifyer(BCrypt.Version.VERSION_2Y,
            LongPasswordStrategies.truncate(BCrypt.Version.VERSION_2Y));

    private final Path file;
    private volatile Map<String, String> hashes = Map.of();
    private volatile long checkedAt;
    private volatile boolean checkedOnce;
    private String loadedSha;   // guarded by "this"
    private String reportedSha; // guarded by "this": the last contents logged as a problem

    public DashboardAccounts(DashboardConfig config) {
        this.file = config.accountsFile();
    }

    /** Reads the file once at start, so its state (loaded, missing, invalid) is in the startup log. */
    void onStart(@Observes StartupEvent event) {
        current();
    }

    /** True when the password matches the approver's hash. Takes one bcrypt verification whatever the outcome. */
    public boolean verify(String approverId, char[] password) {
        String hash = current().get(approverId);
        if (hash == null) {
            VERIFYER.verify(password, DUMMY_HASH);
            return false;
        }
        return VERIFYER.verify(password, hash.toCharArray()).verified;
    }

    /** Whether the approver still has a dashboard login (sessions of a removed account end at their next request). */
    public boolean exists(String approverId) {
        return current().containsKey(approverId);
    }

    public Path file() {
        return file;
    }

    private Map<String, String> current() {
        long now = System.nanoTime();
        if (!checkedOnce || now - checkedAt > RECHECK_NANOS) {
            reload(now);
        }
        return hashes;
    }

    private synchronized void reload(long now) {
        if (checkedOnce && now - checkedAt <= RECHECK_NANOS) {
            return; // another thread just did it
        }
        checkedAt = now;
        checkedOnce = true;
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            if (!"missing".equals(loadedSha)) {
                LOG.warn("dashboard login is off: no accounts file at " + file.toAbsolutePath()
                        + " (broker.dashboard.accounts-file; see docs/dashboard.md)");
                loadedSha = "missing";
                hashes = Map.of();
            }
            return;
        } catch (IOException e) {
            LOG.error("cannot read the dashboard accounts file " + file + " (" + e + "); keeping the "
                    + hashes.size() + " account(s) already loaded");
            return;
        }
        String sha = Sha256.hex(bytes);
        if (sha.equals(loadedSha) || sha.equals(reportedSha)) {
            return;
        }
        List<String> errors = new ArrayList<>();
        Map<String, String> parsed = parse(new String(bytes, StandardCharsets.UTF_8), errors);
        if (!errors.isEmpty()) {
            reportedSha = sha;
            LOG.error("dashboard accounts file " + file + " rejected (" + errors.size() + " error"
                    + (errors.size() == 1 ? "" : "s") + "); keeping the " + hashes.size() + " account(s) already loaded:\n  "
                    + String.join("\n  ", errors));
            return;
        }
        boolean first = loadedSha == null || "missing".equals(loadedSha);
        hashes = Map.copyOf(parsed);
        loadedSha = sha;
        reportedSha = null;
        LOG.info((first ? "dashboard accounts loaded from " : "dashboard accounts reloaded from ") + file + ": "
                + parsed.size() + " account(s)");
        List<String> weak = parsed.entrySet().stream()
                .filter(e -> cost(e.getValue()) < RECOMMENDED_COST).map(Map.Entry::getKey).toList();
        if (!weak.isEmpty()) {
            LOG.warn("dashboard accounts " + weak + " use a bcrypt cost below " + RECOMMENDED_COST
                    + "; re-create them with htpasswd -B -C 12");
        }
    }

    /** Parses htpasswd lines; errors name the line and the id, never the hash. */
    static Map<String, String> parse(String text, List<String> errors) {
        Map<String, String> accounts = new LinkedHashMap<>();
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int colon = line.indexOf(':');
            String where = "line " + (i + 1) + ": ";
            if (colon < 0) {
                errors.add(where + "expected approver-id:bcrypt-hash (as written by htpasswd -B)");
                continue;
            }
            String id = line.substring(0, colon);
            String hash = line.substring(colon + 1);
            if (!ID.matcher(id).matches()) {
                errors.add(where + "\"" + id + "\" is not an approver id (letters, digits and . _ @ + -, starting with a letter or digit)");
            } else if (accounts.containsKey(id)) {
                errors.add(where + "approver " + id + " is listed twice");
            } else if (!BCRYPT.matcher(hash).matches()) {
                errors.add(where + "approver " + id + ": only bcrypt hashes ($2y$...) are accepted; create the line with "
                        + "htpasswd -B -C 12 FILE " + id);
            } else if (cost(hash) < 4 || cost(hash) > 31) {
                errors.add(where + "approver " + id + ": bcrypt cost " + cost(hash) + " is outside 4..31");
            } else {
                accounts.put(id, hash);
            }
        }
        return accounts;
    }

    private static int cost(String hash) {
        return Integer.parseInt(hash.substring(4, 6));
    }
}
