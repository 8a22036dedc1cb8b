package io.mppbroker.dashboard;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mppbroker.audit.AuditChain;
import io.mppbroker.events.Changes;
import io.mppbroker.policy.ApproverIdentity;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.TransactionPhase;
import jakarta.ws.rs.sse.Sse;
import jakarta.ws.rs.sse.SseEventSink;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.microprofile.context.ManagedExecutor;
import org.jboss.logging.Logger;

/**
 * The dashboard's live list: one server-sent event stream per open page. Each stream gets a {@code board}
 * event with the approver's whole board and a {@code sessions} event with the live sessions of their projects'
 * agents ({@link LiveSessions}) when it opens, and each again whenever it changed.
 *
 * <p>What triggers a look: every {@link Changes.Changed} wake-up (a payment created, parked, approved,
 * denied, paid, escalated or withdrawn, on any channel; across nodes when the changes channel is
 * mapped to a message broker), and every batch of audit lines this node seals (an access decision changes no
 * record, only a session; lines another node sealed show at the 10 s re-read). Wake-ups within {@value #COALESCE_MILLIS} ms are coalesced into one rebuild
 * per approver; board and sessions are re-read from the database and each is sent only to streams whose last
 * one differs (compared as JSON text), so a stream never receives the same board twice. A rebuild also runs every
 * 10 s as a safety net for a lost wake-up, and idle streams get a {@code ping} event every
 * {@value #PING_SECONDS} s so proxies keep them open and dead connections are noticed.
 */
@ApplicationScoped
public class DashboardEvents {

    private static final Logger LOG = Logger.getLogger(DashboardEvents.class);
    static final long COALESCE_MILLIS = 150;
    static final long PING_SECONDS = 20;

    private final class Stream {
        final String approverId;
        final SseEventSink sink;
        final Sse sse;
        final Instant openedAt = Instant.now();
        /** The last data sent per event name. */
        final Map<String, String> last = new ConcurrentHashMap<>();
        volatile Instant lastSent = Instant.now();

        Stream(String approverId, SseEventSink sink, Sse sse) {
            this.approverId = approverId;
            this.sink = sink;
            this.sse = sse;
        }

        void sendIfChanged(String name, String data) {
            if (!data.equals(last.put(name, data))) {
                send(name, data);
            }
        }

        void send(String name, String data) {
            if (sink.isClosed()) {
                streams.remove(this);
                return;
            }
            lastSent = Instant.now();
            sink.send(sse.newEventBuilder().name(name).data(String.class, data).reconnectDelay(1000).build())
                    .whenComplete((ok, failure) -> {
                        if (failure != null) {
                            drop(this);
                        }
                    });
        }
    }

    private final Set<Stream> streams = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean rebuildScheduled = new AtomicBoolean();
    private final BoardService boards;
    private final LiveSessions sessions;
    private final DashboardApprovers approvers;
    private final DashboardAccounts accounts;
    private final DashboardConfig config;
    private final ObjectMapper json;
    /** Rebuilds read the database: worker threads only, never the event loop the wake-up may arrive on. */
    private final Executor coalesced;
    private final ManagedExecutor workers;

    public DashboardEvents(BoardService boards, LiveSessions sessions, DashboardApprovers approvers, DashboardAccounts accounts,
                           DashboardConfig config, ObjectMapper json, ManagedExecutor workers) {
        this.workers = workers;
        this.coalesced = CompletableFuture.delayedExecutor(COALESCE_MILLIS, TimeUnit.MILLISECONDS, workers);
        this.boards = boards;
        this.sessions = sessions;
        this.approvers = approvers;
        this.accounts = accounts;
        this.config = config;
        this.json = json;
    }

    /** Opens a stream and sends the current board at once. Blocking (reads the database). */
    public void open(ApproverIdentity me, SseEventSink sink, Sse sse) {
        Stream s = new Stream(me.approverId(), sink, sse);
        synchronized (this) {
            streams.add(s);
            s.sendIfChanged("board", render(boards.board(me)));
            s.sendIfChanged("sessions", render(sessions.of(me)));
        }
    }

    /** Streams open on this node. */
    public int open() {
        return streams.size();
    }

    void onPaymentChanged(@Observes Changes.Changed change) {
        scheduleRebuild();
    }

    void onAuditLines(@Observes(during = TransactionPhase.AFTER_SUCCESS) AuditChain.LinesSealed sealed) {
        scheduleRebuild();
    }

    private void scheduleRebuild() {
        if (streams.isEmpty() || !rebuildScheduled.compareAndSet(false, true)) {
            return;
        }
        coalesced.execute(() -> {
            rebuildScheduled.set(false);
            rebuild();
        });
    }

    @Scheduled(every = "10s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void safetyNet() {
        if (streams.isEmpty()) {
            return;
        }
        Instant now = Instant.now();
        for (Stream s : List.copyOf(streams)) {
            if (Duration.between(s.openedAt, now).compareTo(config.streamMaxAge()) > 0) {
                drop(s); // the browser reconnects at once, which re-checks the session
            }
        }
        workers.runAsync(this::rebuild).join();
        for (Stream s : List.copyOf(streams)) {
            if (Duration.between(s.lastSent, now).toSeconds() >= PING_SECONDS) {
                s.send("ping", "");
            }
        }
    }

    /** Re-reads each connected approver's board once and sends it to their streams where it changed. */
    synchronized void rebuild() {
        Map<String, List<Stream>> byApprover = new HashMap<>();
        for (Stream s : streams) {
            byApprover.computeIfAbsent(s.approverId, id -> new ArrayList<>()).add(s);
        }
        for (Map.Entry<String, List<Stream>> e : byApprover.entrySet()) {
            Optional<ApproverIdentity> me = accounts.exists(e.getKey()) ? approvers.byId(e.getKey()) : Optional.empty();
            if (me.isEmpty()) {
                e.getValue().forEach(this::drop); // account removed or no project left: the reconnect gets a 401
                continue;
            }
            String board;
            String live;
            try {
                board = render(boards.board(me.get()));
                live = render(sessions.of(me.get()));
            } catch (RuntimeException ex) {
                LOG.warnf("dashboard board for %s not rebuilt: %s", e.getKey(), ex.toString());
                continue;
            }
            for (Stream s : e.getValue()) {
                s.sendIfChanged("board", board);
                s.sendIfChanged("sessions", live);
            }
        }
    }

    private void drop(Stream s) {
        streams.remove(s);
        try {
            s.sink.close();
        } catch (RuntimeException ignored) {
            // already closed by the client
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        List.copyOf(streams).forEach(this::drop);
    }

    String render(Object boardOrSessions) {
        try {
            return json.writeValueAsString(boardOrSessions);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("dashboard event not serialisable", e);
        }
    }
}
