package io.mppbroker.a2a;

import io.mppbroker.events.Changes;
import io.mppbroker.payment.Ids;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import jakarta.persistence.EntityManager;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.eclipse.microprofile.context.ManagedExecutor;
import org.jboss.logging.Logger;

/**
 * Turns changes of records into queued pushes. Every node hears every change ({@link Changes.Changed}); each
 * reads the record's state and inserts one delivery per target and state version with ON CONFLICT DO NOTHING,
 * so whichever node is first queues it and the others add nothing. A periodic sweep catches wake-ups that were
 * lost (a node down, a message dropped).
 */
@ApplicationScoped
public class PushNotifier {

    private static final Logger LOG = Logger.getLogger(PushNotifier.class);
    /** How far back the sweep looks for records of agents with webhooks. */
    private static final Duration SWEEP_WINDOW = Duration.ofMinutes(15);

    private final Map<String, TaskSubject> subjectsByPrefix;
    private final EntityManager em;
    private final ManagedExecutor executor;
    private final PushWorker worker;

    public PushNotifier(Instance<TaskSubject> subjects, EntityManager em, ManagedExecutor executor, PushWorker worker) {
        this.subjectsByPrefix = subjects.stream().collect(Collectors.toMap(TaskSubject::idPrefix, s -> s));
        this.em = em;
        this.executor = executor;
        this.worker = worker;
    }

    void onChange(@Observes Changes.Changed change) {
        if (subjectOf(change.id()).isPresent()) {
            enqueueLater(change.id()); // observers must return at once: they run on the messaging thread
        }
    }

    public void enqueueLater(String subjectId) {
        executor.runAsync(() -> {
            try {
                enqueue(subjectId);
            } catch (RuntimeException e) {
                LOG.errorf("queueing pushes for %s failed (the sweep retries): %s", subjectId, e.toString());
            }
        });
    }

    /** Queues the record's current state for every task push config and webhook that wants it. */
    public void enqueue(String subjectId) {
        TaskSubject subject = subjectOf(subjectId).orElse(null);
        if (subject == null) {
            return;
        }
        int queued = 0;
        // Most changes interest nobody (no A2A task follows the record, no webhook exists): one short read tells.
        Interested interested = QuarkusTransaction.requiringNew().call(() -> new Interested(A2aTask.bySubject(subjectId),
                PushTarget.count("kind = ?1 and deletedAt is null", PushTarget.Kind.WEBHOOK) > 0));
        List<A2aTask> tasks = interested.tasks();
        if (!tasks.isEmpty()) {
            SubjectState state = subject.state(subjectId);
            for (A2aTask task : tasks) {
                queued += QuarkusTransaction.requiringNew().call(() -> {
                    int n = 0;
                    for (PushTarget target : PushTarget.ofTask(task.id)) {
                        n += insert(target.id, task.id, state.version(), TaskJson.taskEvent(task, state).toString());
                    }
                    if (state.state().isTerminal() && task.open) {
                        A2aTask.update("open = false where id = ?1", task.id);
                    }
                    return n;
                });
            }
        }
        if (interested.anyWebhook()) {
            Optional<AgentEvent> event = subject.event(subjectId);
            if (event.isPresent()) {
                queued += QuarkusTransaction.requiringNew().call(() -> {
                    int n = 0;
                    for (PushTarget webhook : PushTarget.webhooksOf(event.get().project(), event.get().agent())) {
                        if (webhook.eventList().contains(event.get().type())) {
                            n += insert(webhook.id, subjectId, event.get().version(), webhookBody(event.get()));
                        }
                    }
                    return n;
                });
            }
        }
        if (queued > 0) {
            worker.drainSoon();
        }
    }

    private record Interested(List<A2aTask> tasks, boolean anyWebhook) {}

    private int insert(String targetId, String subjectId, String version, String payload) {
        return em.createNativeQuery("""
                        INSERT INTO push_delivery (target_id, subject_id, state_version, payload, status, next_attempt_at, created_at)
                        VALUES (:target, :subject, :version, CAST(:payload AS jsonb), 'PENDING', now(), now())
                        ON CONFLICT (target_id, subject_id, state_version) DO NOTHING""")
                .setParameter("target", targetId).setParameter("subject", subjectId).setParameter("version", version)
                .setParameter("payload", payload).executeUpdate();
    }

    /** The documented webhook body: {@code {"id","type","created_at","data"}}, snake_case like the REST API. */
    static String webhookBody(AgentEvent event) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", Ids.next("evt"));
        body.put("type", event.type());
        body.put("created_at", Instant.now().toString());
        body.put("project", event.project());
        body.put("agent", event.agent());
        body.put("data", event.data());
        try {
            return TaskJson.MAPPER.writeValueAsString(body);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    @Scheduled(every = "${broker.a2a.push.sweep-interval:15s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void sweep() {
        try {
            List<String> subjects = QuarkusTransaction.requiringNew().call(() ->
                    A2aTask.openWithPushTargets().stream().map(t -> t.subjectId).distinct().toList());
            subjects.forEach(this::enqueue);
            Set<String> agents = QuarkusTransaction.requiringNew().call(() ->
                    PushTarget.allWebhooks().stream().map(w -> w.agent).collect(Collectors.toSet()));
            if (!agents.isEmpty()) {
                Instant since = Instant.now().minus(SWEEP_WINDOW);
                subjectsByPrefix.values().forEach(s -> s.changedSince(agents, since).forEach(this::enqueue));
            }
        } catch (RuntimeException e) {
            LOG.errorf("push sweep interrupted: %s", e.toString());
        }
    }

    private Optional<TaskSubject> subjectOf(String id) {
        int underscore = id.indexOf('_');
        return underscore < 0 ? Optional.empty() : Optional.ofNullable(subjectsByPrefix.get(id.substring(0, underscore)));
    }
}
