package io.mppbroker.access;

import io.mppbroker.events.Changes;
import io.mppbroker.policy.Grant;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.eclipse.microprofile.context.ManagedExecutor;
import org.jboss.logging.Logger;

/**
 * The issued grants in force, in memory, so a decision does not read the database. Refreshed right after this
 * node issues or revokes a grant, on every {@link Changes.Changed} wake-up for a grant id ({@code grt_...}, sent
 * by whichever node changed it) and on a short poll ({@code broker.access.grant-refresh}, default 2s) in case a
 * wake-up was lost. Expiry does not wait for a refresh: {@link AccessPolicy} ignores a grant from its
 * {@code expires} on. Each refresh that changes a project's grants logs
 * {@code policy reloaded for <project> (1 grant added)} (or expired, revoked).
 */
@ApplicationScoped
public class IssuedGrants {

    private static final Logger LOG = Logger.getLogger(IssuedGrants.class);

    /** A grant in force and who approved it. */
    public record Active(String project, Grant grant, String approvedBy, String accessRequestId) {}

    private volatile Map<String, List<Active>> byProject = Map.of();
    private volatile Map<String, Active> byId = Map.of();
    private final ManagedExecutor executor;

    public IssuedGrants(ManagedExecutor executor) {
        this.executor = executor;
    }

    public List<Grant> forProject(String project) {
        return byProject.getOrDefault(project, List.of()).stream().map(Active::grant).toList();
    }

    public Optional<Active> byId(String grantId) {
        return grantId == null ? Optional.empty() : Optional.ofNullable(byId.get(grantId));
    }

    void onStart(@Observes StartupEvent event) {
        refresh();
    }

    @Scheduled(identity = "issued-grants-refresh", every = "${broker.access.grant-refresh:2s}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void poll() {
        refresh();
    }

    /** Wake-ups arrive on the messaging thread: refresh on a worker. */
    void onChange(@Observes Changes.Changed change) {
        if (change.id() != null && change.id().startsWith(AccessRequestService.GRANT_PREFIX + "_")) {
            executor.runAsync(this::refresh);
        }
    }

    /** Re-reads the grants in force and logs, per project, what was added, expired or revoked. */
    public synchronized void refresh() {
        Instant now = Instant.now();
        List<IssuedGrant> rows;
        try {
            rows = QuarkusTransaction.requiringNew().call(() -> IssuedGrant.active(now));
        } catch (RuntimeException e) {
            LOG.warnf("issued grants not refreshed: %s", e.toString());
            return;
        }
        Map<String, List<Active>> projects = new TreeMap<>();
        Map<String, Active> ids = new HashMap<>();
        for (IssuedGrant g : rows) {
            Active a = new Active(g.project, g.asPolicyGrant(), g.approvedBy, g.accessRequestId);
            projects.computeIfAbsent(g.project, p -> new ArrayList<>()).add(a);
            ids.put(g.id, a);
        }
        Map<String, Active> before = byId;
        Map<String, List<Active>> frozen = new LinkedHashMap<>();
        projects.forEach((p, list) -> frozen.put(p, List.copyOf(list)));
        byProject = Collections.unmodifiableMap(frozen);
        byId = Map.copyOf(ids);
        logChanges(before, ids, now);
    }

    private static void logChanges(Map<String, Active> before, Map<String, Active> after, Instant now) {
        Map<String, int[]> counts = new TreeMap<>(); // project -> added, expired, revoked
        for (Map.Entry<String, Active> e : after.entrySet()) {
            if (!before.containsKey(e.getKey())) counts.computeIfAbsent(e.getValue().project(), p -> new int[3])[0]++;
        }
        for (Map.Entry<String, Active> e : before.entrySet()) {
            if (after.containsKey(e.getKey())) continue;
            boolean expired = !e.getValue().grant().activeAt(now);
            counts.computeIfAbsent(e.getValue().project(), p -> new int[3])[expired ? 1 : 2]++;
        }
        counts.forEach((project, n) -> {
            List<String> parts = new ArrayList<>();
            if (n[0] > 0) parts.add(n[0] + (n[0] == 1 ? " grant" : " grants") + " added");
            if (n[1] > 0) parts.add(n[1] + (n[1] == 1 ? " grant" : " grants") + " expired");
            if (n[2] > 0) parts.add(n[2] + (n[2] == 1 ? " grant" : " grants") + " revoked");
            LOG.infof("policy reloaded for %s (%s)", project, String.join(", ", parts));
        });
    }
}
