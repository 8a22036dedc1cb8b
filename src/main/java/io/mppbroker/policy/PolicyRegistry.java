package io.mppbroker.policy;

import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.jboss.logging.Logger;

/**
 * The policies currently in force, one per project, loaded from {@code broker.budgets.dir}.
 *
 * <p>The directory is scanned at startup and then polled (file contents are hashed, so edits are seen
 * whatever the file system's mtime resolution). A changed valid file replaces its project's policy; an
 * invalid file is logged once at ERROR with all its errors and never replaces the version being served; a
 * deleted file removes its project. Conflicts with other projects (same project in two files, a token hash
 * already used by another project) reject the newcomer; at startup files are taken in file-name order.
 *
 * <p>Token lookups are one SHA-256 of the bearer token and one hash-map probe, whatever the number of agents.
 * The map is keyed by the token's digest, never by the token: how long a probe takes can at most tell an
 * attacker something about the digest of what they sent, and finding a token from partial knowledge of its
 * SHA-256 is preimage search. So a constant-time comparison against every known hash buys nothing here.
 */
@ApplicationScoped
public class PolicyRegistry {
    private static final Logger LOG = Logger.getLogger(PolicyRegistry.class);

    private final Path dir;

    /** Immutable view swapped atomically after each scan; lookups never lock. */
    private volatile Snapshot snapshot = Snapshot.EMPTY;

    // Scan state, guarded by "this".
    private final Map<Path, Parsed> parsed = new HashMap<>();
    private volatile Map<Path, List<String>> reported = Map.of();
    private String directoryProblem;

    @Inject
    public PolicyRegistry(BudgetsConfig config) {
        this.dir = config.dir();
    }

    void onStart(@Observes StartupEvent event) {
        reloadNow();
        if (snapshot.byProject().isEmpty()) {
            LOG.warn("no project policy loaded from " + dir.toAbsolutePath() + ": every payment will be refused");
        }
    }

    @Scheduled(identity = "policy-reload", every = "${broker.budgets.reload-interval:2s}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void poll() {
        reloadNow();
    }

    // ---- lookups --------------------------------------------------------------------------------------

    public Optional<ProjectPolicy> project(String name) {
        return Optional.ofNullable(snapshot.byProject().get(name));
    }

    /** All policies in force, ordered by project name. */
    public Collection<ProjectPolicy> all() {
        return snapshot.byProject().values();
    }

    public Optional<AgentIdentity> agentByToken(String bearerToken) {
        String hash = tokenHash(bearerToken);
        return hash == null ? Optional.empty() : Optional.ofNullable(snapshot.agents().get(hash));
    }

    /**
     * The approver owning this token, with every project that lists that approver (the same id and token
     * hash may appear in several project files).
     */
    public Optional<ApproverIdentity> approverByToken(String bearerToken) {
        String hash = tokenHash(bearerToken);
        return hash == null ? Optional.empty() : Optional.ofNullable(snapshot.approvers().get(hash));
    }

    /**
     * The approver whose Slack user id ({@code approvers[].slack_user}) this is, with every project that lists
     * that approver with this Slack user. Used to attribute a button press in Slack to an approver.
     */
    public Optional<ApproverIdentity> approverBySlackUser(String slackUserId) {
        return slackUserId == null ? Optional.empty() : Optional.ofNullable(snapshot.slackUsers().get(slackUserId));
    }

    /** Same as {@link #approverBySlackUser} for a Telegram user id (decimal string, {@code approvers[].telegram_user}). */
    public Optional<ApproverIdentity> approverByTelegramUser(String telegramUserId) {
        return telegramUserId == null ? Optional.empty() : Optional.ofNullable(snapshot.telegramUsers().get(telegramUserId));
    }

    /** Files refused by the last scan, with their errors (for health checks and admin views). */
    public Map<Path, List<String>> problems() {
        return reported;
    }

    public Path directory() {
        return dir;
    }

    /** The lowercase hex SHA-256 of the token, the form policy files hold; null for no token. */
    private static String tokenHash(String bearerToken) {
        return bearerToken == null || bearerToken.isEmpty() ? null : Sha256.hex(bearerToken);
    }

    // ---- scanning -------------------------------------------------------------------------------------

    /** Scans the directory now and applies what changed; also what the poll calls. */
    public synchronized ReloadReport reloadNow() {
        List<Path> files;
        try {
            files = policyFiles();
        } catch (IOException e) {
            String problem = "cannot list the budgets directory " + dir + " (" + e + "); keeping the "
                    + snapshot.byProject().size() + " project(s) already loaded";
            if (!problem.equals(directoryProblem)) LOG.error(problem);
            directoryProblem = problem;
            return new ReloadReport(List.of(), List.of(), List.of(), Map.of(dir, List.of(problem)));
        }
        directoryProblem = null;

        Map<String, ProjectPolicy> active = snapshot.byProject();
        Map<String, ProjectPolicy> next = new TreeMap<>(active);
        List<String> loaded = new ArrayList<>();
        List<String> reloaded = new ArrayList<>();
        List<String> removed = new ArrayList<>();
        Map<Path, List<String>> problems = new LinkedHashMap<>();

        Set<Path> present = new HashSet<>(files);
        parsed.keySet().retainAll(present);
        for (ProjectPolicy p : active.values()) {
            if (!present.contains(p.source())) {
                next.remove(p.project());
                removed.add(p.project());
                LOG.info("policy removed for " + p.project() + ": " + p.source() + " was deleted");
            }
        }

        for (Path file : files) {
            Parsed result = parse(file);
            if (result.policy() == null) {
                problems.put(file, result.errors());
                continue;
            }
            ProjectPolicy candidate = result.policy();
            ProjectPolicy current = next.get(candidate.project());
            if (current != null && !current.source().equals(file)) {
                problems.put(file, List.of(file + ": project: project " + candidate.project()
                        + " is already defined by " + current.source()));
                continue;
            }
            if (current != null && current.versionHash().equals(candidate.versionHash())) continue;
            List<String> conflicts = tokenConflicts(candidate, next.values());
            if (!conflicts.isEmpty()) {
                problems.put(file, conflicts);
                continue;
            }
            next.put(candidate.project(), candidate);
            if (current == null) {
                loaded.add(candidate.project());
                LOG.info("policy loaded for " + candidate.project() + " from " + file + " (version " + shortHash(candidate) + ")");
            } else {
                reloaded.add(candidate.project());
                LOG.info("policy reloaded for " + candidate.project() + " from " + file + " (version "
                        + shortHash(current) + " -> " + shortHash(candidate) + ")");
            }
        }

        reportProblems(problems, next, present, loaded, reloaded);
        if (!loaded.isEmpty() || !reloaded.isEmpty() || !removed.isEmpty()) snapshot = Snapshot.of(next);
        return new ReloadReport(loaded, reloaded, removed, problems);
    }

    private List<Path> policyFiles() throws IOException {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries
                    .filter(p -> isPolicyFileName(p.getFileName().toString()))
                    .filter(Files::isRegularFile)
                    .sorted(Comparator.comparing(p -> p.getFileName().toString()))
                    .toList();
        }
    }

    /**
     * Whether a file of the budgets directory is read as a policy: {@code *.yaml} / {@code *.yml}, except dot files
     * (editor droppings such as {@code .#research.yaml}) and {@code *.test.yaml} / {@code *.test.yml} (tables for
     * {@code policy test}, which may sit beside the policies they test).
     */
    public static boolean isPolicyFileName(String name) {
        if (name.startsWith(".")) return false;
        if (name.endsWith(".test.yaml") || name.endsWith(".test.yml")) return false;
        return name.endsWith(".yaml") || name.endsWith(".yml");
    }

    private Parsed parse(Path file) {
        byte[] bytes;
        try {
            if (Files.size(file) > PolicyLoader.MAX_FILE_BYTES) {
                return new Parsed(null, null, List.of(file + ": (file): is larger than " + PolicyLoader.MAX_FILE_BYTES + " bytes"));
            }
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            return new Parsed(null, null, List.of(file + ": (file): cannot be read: " + e));
        }
        String hash = Sha256.hex(bytes);
        Parsed cached = parsed.get(file);
        if (cached != null && hash.equals(cached.hash())) return cached;
        Parsed fresh;
        try {
            fresh = new Parsed(hash, PolicyLoader.parse(file, bytes), List.of());
        } catch (PolicyValidationException e) {
            fresh = new Parsed(hash, null, e.errors());
        }
        parsed.put(file, fresh);
        return fresh;
    }

    /**
     * A token identifies exactly one agent or approver broker-wide. The one exception is an approver
     * serving several projects: the same approver id with the same token hash may appear in several files.
     * Likewise a Slack or Telegram user id belongs to one approver id broker-wide.
     */
    static List<String> tokenConflicts(ProjectPolicy candidate, Collection<ProjectPolicy> others) {
        Map<String, String> agentHashes = new HashMap<>();     // hash -> "agent X of project Y (file)"
        Map<String, String> approverHashes = new HashMap<>();  // hash -> approver id
        Map<String, String> approverWhere = new HashMap<>();   // hash -> "approver X of project Y (file)"
        Map<String, ApproverEntry> slackUsers = new HashMap<>();     // Slack user -> approver
        Map<String, ApproverEntry> telegramUsers = new HashMap<>();  // Telegram user -> approver
        Map<ApproverEntry, String> where = new HashMap<>();
        for (ProjectPolicy o : others) {
            if (o.project().equals(candidate.project())) continue;
            for (AgentEntry a : o.agents()) {
                agentHashes.put(a.tokenSha256(), "agent " + a.id() + " of project " + o.project() + " (" + o.source() + ")");
            }
            for (ApproverEntry a : o.approvers()) {
                approverHashes.put(a.tokenSha256(), a.id());
                approverWhere.put(a.tokenSha256(), "approver " + a.id() + " of project " + o.project() + " (" + o.source() + ")");
                a.slackUser().ifPresent(u -> slackUsers.put(u, a));
                a.telegramUser().ifPresent(u -> telegramUsers.put(u, a));
                where.put(a, "approver " + a.id() + " of project " + o.project() + " (" + o.source() + ")");
            }
        }
        List<String> errors = new ArrayList<>();
        String file = candidate.source().toString();
        for (int i = 0; i < candidate.agents().size(); i++) {
            String hash = candidate.agents().get(i).tokenSha256();
            String owner = agentHashes.getOrDefault(hash, approverWhere.get(hash));
            if (owner != null) {
                errors.add(file + ": agents[" + i + "].token_sha256: token hash is already used by " + owner);
            }
        }
        for (int i = 0; i < candidate.approvers().size(); i++) {
            ApproverEntry a = candidate.approvers().get(i);
            if (agentHashes.containsKey(a.tokenSha256())) {
                errors.add(file + ": approvers[" + i + "].token_sha256: token hash is already used by "
                        + agentHashes.get(a.tokenSha256()) + "; an agent must never be able to approve");
            } else if (approverHashes.containsKey(a.tokenSha256()) && !approverHashes.get(a.tokenSha256()).equals(a.id())) {
                errors.add(file + ": approvers[" + i + "].token_sha256: token hash is already used by "
                        + approverWhere.get(a.tokenSha256()) + "; an approver shared by projects keeps the same id");
            }
            if (a.slackUser().isPresent()) {
                ApproverEntry other = slackUsers.get(a.slackUser().get());
                if (other != null && !other.id().equals(a.id())) {
                    errors.add(file + ": approvers[" + i + "].slack_user: Slack user " + a.slackUser().get() + " is already "
                            + where.get(other) + "; a Slack user answers as exactly one approver");
                }
            }
            if (a.telegramUser().isPresent()) {
                ApproverEntry other = telegramUsers.get(a.telegramUser().get());
                if (other != null && !other.id().equals(a.id())) {
                    errors.add(file + ": approvers[" + i + "].telegram_user: Telegram user " + a.telegramUser().get()
                            + " is already " + where.get(other) + "; a Telegram user answers as exactly one approver");
                }
            }
        }
        return errors;
    }

    private void reportProblems(Map<Path, List<String>> problems, Map<String, ProjectPolicy> next, Set<Path> present,
                                List<String> loaded, List<String> reloaded) {
        for (Map.Entry<Path, List<String>> e : problems.entrySet()) {
            if (e.getValue().equals(reported.get(e.getKey()))) continue; // logged already
            String serving = next.values().stream()
                    .filter(p -> p.source().equals(e.getKey()))
                    .map(p -> "; still serving the last valid version of project " + p.project() + " (version " + shortHash(p) + ")")
                    .findFirst().orElse("");
            int n = e.getValue().size();
            LOG.error("policy file " + e.getKey() + " rejected (" + n + (n == 1 ? " error" : " errors") + ")" + serving
                    + ":\n  " + String.join("\n  ", e.getValue()));
        }
        for (Path fixed : reported.keySet()) {
            if (problems.containsKey(fixed) || !present.contains(fixed)) continue;
            next.values().stream()
                    .filter(p -> p.source().equals(fixed) && !loaded.contains(p.project()) && !reloaded.contains(p.project()))
                    .findFirst()
                    .ifPresent(p -> LOG.info("policy file " + fixed + " is valid again; project " + p.project()
                            + " keeps version " + shortHash(p)));
        }
        reported = Map.copyOf(problems);
    }

    private static String shortHash(ProjectPolicy p) {
        return p.versionHash().substring(0, 12);
    }

    private record Parsed(String hash, ProjectPolicy policy, List<String> errors) {}

    /**
     * {@code agents} and {@code approvers} are keyed by token hash (lowercase hex). Loading refuses a hash used by
     * two agents, or by an agent and an approver, so each key has one owner; an approver listed by several
     * projects is one entry with all of them.
     */
    private record Snapshot(Map<String, ProjectPolicy> byProject, Map<String, AgentIdentity> agents,
                            Map<String, ApproverIdentity> approvers,
                            Map<String, ApproverIdentity> slackUsers, Map<String, ApproverIdentity> telegramUsers) {
        static final Snapshot EMPTY = new Snapshot(Map.of(), Map.of(), Map.of(), Map.of(), Map.of());

        static Snapshot of(Map<String, ProjectPolicy> policies) {
            Map<String, AgentIdentity> agents = new HashMap<>();
            Map<String, ApproverIdentity> approvers = new HashMap<>();
            Map<String, ApproverIdentity> slack = new HashMap<>();
            Map<String, ApproverIdentity> telegram = new HashMap<>();
            for (ProjectPolicy p : policies.values()) {
                p.agents().forEach(a -> agents.putIfAbsent(a.tokenSha256(), new AgentIdentity(a.id(), p.project())));
                for (ApproverEntry a : p.approvers()) {
                    addProject(approvers, a.tokenSha256(), a.id(), p.project());
                    a.slackUser().ifPresent(u -> addProject(slack, u, a.id(), p.project()));
                    a.telegramUser().ifPresent(u -> addProject(telegram, u, a.id(), p.project()));
                }
            }
            return new Snapshot(java.util.Collections.unmodifiableMap(new TreeMap<>(policies)), Map.copyOf(agents),
                    Map.copyOf(approvers), Map.copyOf(slack), Map.copyOf(telegram));
        }

        /** Loading refuses a token hash or chat user bound to two approver ids, so the id found first is the only one. */
        private static void addProject(Map<String, ApproverIdentity> byKey, String key, String approverId, String project) {
            ApproverIdentity known = byKey.get(key);
            if (known != null && !known.approverId().equals(approverId)) return;
            Set<String> projects = new TreeSet<>(known == null ? Set.of() : known.projects());
            projects.add(project);
            byKey.put(key, new ApproverIdentity(approverId, projects));
        }
    }
}
