package io.mppbroker.a2a;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mppbroker.api.ApiProblem;
import io.mppbroker.auth.Callers;
import io.mppbroker.events.Changes;
import io.mppbroker.events.HoldReads;
import io.mppbroker.policy.AgentIdentity;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * The A2A 1.0 JSON-RPC binding at {@code POST /a2a} (§9): JSON-RPC 2.0 over HTTP, streaming methods answer
 * Server-Sent Events. A held stream costs a future per change, not a thread. Every failure is a JSON-RPC error
 * object, never an HTML or problem+json page.
 */
@ApplicationScoped
public class A2aEndpoint {

    public static final String PATH = "/a2a";
    public static final String VERSION = "1.0";
    private static final Logger LOG = Logger.getLogger(A2aEndpoint.class);
    private static final Set<String> STREAMING = Set.of("SendStreamingMessage", "SubscribeToTask");
    /** A quiet stream re-reads the task this often, and sends an SSE comment so proxies keep it open. */
    private static final Duration REREAD = Duration.ofSeconds(25);

    private final Callers callers;
    private final A2aTasks tasks;
    private final Changes changes;
    private final AgentCard card;
    private final HoldReads holdReads;

    public A2aEndpoint(Callers callers, A2aTasks tasks, Changes changes, AgentCard card, HoldReads holdReads) {
        this.callers = callers;
        this.tasks = tasks;
        this.changes = changes;
        this.card = card;
        this.holdReads = holdReads;
    }

    void routes(@Observes Router router) {
        router.get(AgentCard.PATH).handler(card::serve);
        router.post(PATH).handler(BodyHandler.create().setBodyLimit(2 * 1024 * 1024)).handler(this::rpc);
    }

    private record Call(JsonNode id, String method, JsonNode params, AgentIdentity agent) {}

    private void rpc(RoutingContext ctx) {
        JsonNode id = null;
        Call call;
        try {
            JsonNode request;
            try {
                request = TaskJson.MAPPER.readTree(ctx.body().asString());
            } catch (JsonProcessingException e) {
                throw A2aError.parse(e.getOriginalMessage());
            }
            if (request == null || !request.isObject()) {
                throw A2aError.invalidRequest("a JSON-RPC request object is expected");
            }
            id = request.get("id");
            if (!"2.0".equals(A2aTasks.text(request, "jsonrpc"))) {
                throw A2aError.invalidRequest("jsonrpc must be \"2.0\"");
            }
            if (id == null || !(id.isTextual() || id.isIntegralNumber())) {
                id = null;
                throw A2aError.invalidRequest("id (a string or an integer) is required: every A2A method answers");
            }
            String method = A2aTasks.text(request, "method");
            if (method == null) {
                throw A2aError.invalidRequest("method is required");
            }
            JsonNode params = request.has("params") ? request.get("params") : TaskJson.MAPPER.createObjectNode();
            if (!params.isObject()) {
                throw A2aError.invalidParams("params", "params must be an object");
            }
            String version = ctx.request().getHeader("A2A-Version");
            if (version == null) {
                version = ctx.request().getParam("A2A-Version");
            }
            if (version == null || !version.strip().equals(VERSION)) {
                throw A2aError.versionNotSupported(version);
            }
            call = new Call(id, method, params, null);
        } catch (A2aError e) {
            answerError(ctx, id, e);
            return;
        }
        String authorization = ctx.request().getHeader("Authorization");
        Call received = call;
        Uni.createFrom().item(() -> new Call(received.id(), received.method(), received.params(), agent(authorization)))
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
                .subscribe().with(c -> {
                    if (STREAMING.contains(c.method())) {
                        stream(ctx, c);
                    } else {
                        Uni.createFrom().item(() -> dispatch(c))
                                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
                                .subscribe().with(result -> answer(ctx, 200, envelope(c.id()).set("result", result)),
                                        failure -> answerError(ctx, c.id(), error(failure)));
                    }
                }, failure -> answerError(ctx, received.id(), error(failure)));
    }

    private AgentIdentity agent(String authorization) {
        try {
            return callers.agent(authorization);
        } catch (ApiProblem e) {
            throw A2aError.unauthenticated(e.detail());
        }
    }

    private JsonNode dispatch(Call c) {
        JsonNode p = c.params();
        return switch (c.method()) {
            case "SendMessage" -> {
                A2aTasks.Current sent = tasks.send(c.agent(), p);
                yield TaskJson.MAPPER.createObjectNode().set("task", TaskJson.task(sent.task(), sent.state(), true));
            }
            case "GetTask" -> {
                if (p.has("historyLength") && p.get("historyLength").asInt(-1) < 0) {
                    throw A2aError.invalidParams("historyLength", "historyLength is 0 or more");
                }
                A2aTasks.Current current = tasks.current(c.agent(), A2aTasks.text(p, "id"));
                yield TaskJson.task(current.task(), current.state(), true);
            }
            case "ListTasks" -> tasks.list(c.agent(), p);
            case "CancelTask" -> {
                A2aTasks.Current canceled = tasks.cancel(c.agent(), A2aTasks.text(p, "id"));
                yield TaskJson.task(canceled.task(), canceled.state(), true);
            }
            case "CreateTaskPushNotificationConfig" -> A2aTasks.pushConfigJson(tasks.createPushConfig(c.agent(), p));
            case "GetTaskPushNotificationConfig" -> A2aTasks.pushConfigJson(tasks.pushConfig(c.agent(), p));
            case "ListTaskPushNotificationConfigs" -> {
                ObjectNode result = TaskJson.MAPPER.createObjectNode();
                ArrayNode configs = result.putArray("configs");
                tasks.pushConfigs(c.agent(), p).forEach(t -> configs.add(A2aTasks.pushConfigJson(t)));
                result.put("nextPageToken", "");
                yield result;
            }
            case "DeleteTaskPushNotificationConfig" -> {
                tasks.deletePushConfig(c.agent(), p);
                yield TaskJson.MAPPER.createObjectNode(); // google.protobuf.Empty
            }
            case "GetExtendedAgentCard" -> throw A2aError.unsupported("this agent has no extended agent card");
            default -> throw A2aError.methodNotFound(c.method());
        };
    }

    // ---- streaming -------------------------------------------------------------------------------------

    /** SendStreamingMessage and SubscribeToTask: the Task first, then its updates, closed at a terminal state. */
    private void stream(RoutingContext ctx, Call c) {
        Uni.createFrom().item(() -> {
                    if (c.method().equals("SendStreamingMessage")) {
                        return tasks.send(c.agent(), c.params());
                    }
                    A2aTasks.Current current = tasks.current(c.agent(), A2aTasks.text(c.params(), "id"));
                    if (current.state().state().isTerminal()) {
                        throw A2aError.unsupported("task " + current.task().id + " is " + current.state().state().name()
                                + "; a terminal task has no more updates (use GetTask)");
                    }
                    return current;
                })
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
                .subscribe().with(current -> {
                    Sse sse = new Sse(ctx, c.id());
                    sse.event(TaskJson.taskEvent(current.task(), current.state()));
                    if (current.state().state().isTerminal()) {
                        sse.end();
                    } else {
                        follow(sse, current.task(), current.state().version());
                    }
                }, failure -> answerError(ctx, c.id(), error(failure)));
    }

    private void follow(Sse sse, A2aTask task, String lastVersion) {
        if (sse.closed()) {
            return;
        }
        // Registered before reading, so a change in between is not missed.
        Uni<Void> change = changes.nextChange(task.subjectId, REREAD);
        Uni.createFrom().item(() -> tasks.state(task))
                .runSubscriptionOn(holdReads.executor())
                .subscribe().with(state -> {
                    if (!state.version().equals(lastVersion)) {
                        if (state.state().isTerminal() && state.artifact() != null) {
                            sse.event(TaskJson.artifactUpdate(task, state));
                        }
                        sse.event(TaskJson.statusUpdate(task, state));
                    } else {
                        sse.comment();
                    }
                    if (state.state().isTerminal()) {
                        sse.end();
                    } else {
                        change.subscribe().with(ignored -> follow(sse, task, state.version()), sse::fail);
                    }
                }, sse::fail);
    }

    /** One SSE response; each event is a JSON-RPC response carrying a StreamResponse. */
    private final class Sse {
        private final RoutingContext ctx;
        private final JsonNode id;
        private final AtomicBoolean closed = new AtomicBoolean();
        private volatile long lastWrite = System.nanoTime();

        Sse(RoutingContext ctx, JsonNode id) {
            this.ctx = ctx;
            this.id = id;
            HttpServerResponse r = ctx.response();
            r.setStatusCode(200).setChunked(true)
                    .putHeader("Content-Type", "text/event-stream")
                    .putHeader("Cache-Control", "no-cache")
                    .putHeader("X-Accel-Buffering", "no");
            r.closeHandler(v -> closed.set(true));
        }

        boolean closed() {
            return closed.get() || ctx.response().closed();
        }

        void event(JsonNode streamResponse) {
            if (!closed()) {
                lastWrite = System.nanoTime();
                ctx.response().write("data: " + envelope(id).set("result", streamResponse) + "\n\n");
            }
        }

        /** At most one per {@link #REREAD}: wake-ups may come more often (cluster re-checks) without news. */
        void comment() {
            if (!closed() && System.nanoTime() - lastWrite >= REREAD.toNanos()) {
                lastWrite = System.nanoTime();
                ctx.response().write(": still here\n\n");
            }
        }

        void end() {
            if (closed.compareAndSet(false, true) && !ctx.response().ended()) {
                ctx.response().end();
            }
        }

        void fail(Throwable failure) {
            if (!closed()) {
                A2aError e = error(failure);
                ctx.response().write("data: " + errorEnvelope(id, e) + "\n\n");
            }
            end();
        }
    }

    // ---- answers ---------------------------------------------------------------------------------------

    private static ObjectNode envelope(JsonNode id) {
        ObjectNode node = TaskJson.MAPPER.createObjectNode();
        node.put("jsonrpc", "2.0");
        node.set("id", id);
        return node;
    }

    private static ObjectNode errorEnvelope(JsonNode id, A2aError e) {
        ObjectNode error = TaskJson.MAPPER.createObjectNode();
        error.put("code", e.code());
        error.put("message", e.getMessage());
        if (!e.data().isEmpty()) {
            error.set("data", TaskJson.MAPPER.valueToTree(e.data()));
        }
        return (ObjectNode) envelope(id).set("error", error);
    }

    private static A2aError error(Throwable failure) {
        if (failure instanceof A2aError e) {
            return e;
        }
        if (failure instanceof PushUrlGuard.Refused e) {
            return A2aError.invalidParams("url", e.getMessage());
        }
        if (failure instanceof ApiProblem p && p.status() < 500) {
            // The request the data part describes was refused as input (bad URL, unknown field, key reused...).
            return A2aError.invalidParams("message.parts.data", p.detail());
        }
        LOG.errorf(failure, "A2A call failed");
        return A2aError.internal();
    }

    private static void answerError(RoutingContext ctx, JsonNode id, A2aError e) {
        if (e.httpStatus() == 401) {
            ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"mpp-broker\"");
        }
        answer(ctx, e.httpStatus(), errorEnvelope(id, e));
    }

    private static void answer(RoutingContext ctx, int status, JsonNode body) {
        if (ctx.response().ended() || ctx.response().closed()) {
            return;
        }
        ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.toString());
    }
}
