package io.mppbroker.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * An agent's webhook receiver on 127.0.0.1: records every POST (headers, JSON body) and answers 200, or 500 for
 * the next {@link #failNext} requests, so retries can be seen.
 */
public final class AgentWebhook implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** One request as received; header names lower-cased. */
    public record Received(String path, Map<String, String> headers, JsonNode body, int answeredStatus, Instant at) {
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    private final LocalHttpServer server;
    private final List<Received> received = new ArrayList<>();
    private final LocalHttpServer.InjectedFailures failures = new LocalHttpServer.InjectedFailures();

    private AgentWebhook() {
        this.server = new LocalHttpServer("agent-webhook", "application/json", this::handle);
    }

    public static AgentWebhook start() {
        return new AgentWebhook();
    }

    /** {@code http://127.0.0.1:PORT} + path. */
    public String url(String path) {
        return server.origin() + path;
    }

    public int port() {
        return server.port();
    }

    /** The next {@code n} requests are answered 500 (and recorded). */
    public AgentWebhook failNext(int n) {
        failures.failNext(n, 500, 0);
        return this;
    }

    public synchronized List<Received> received() {
        return List.copyOf(received);
    }

    /** Waits until a request matching {@code which} arrived and was answered 2xx. */
    public Received await(Predicate<Received> which, Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            Optional<Received> hit = received().stream().filter(r -> r.answeredStatus() / 100 == 2).filter(which).findFirst();
            if (hit.isPresent()) {
                return hit.get();
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        throw new AssertionError("no matching request within " + timeout + "; received " + received());
    }

    private LocalHttpServer.Reply handle(HttpExchange exchange, byte[] bytes) {
        Map<String, String> headers = new TreeMap<>();
        exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), String.join(",", v)));
        JsonNode body;
        try {
            body = bytes.length == 0 ? null : JSON.readTree(new String(bytes, StandardCharsets.UTF_8));
        } catch (IOException e) {
            body = JSON.getNodeFactory().textNode(new String(bytes, StandardCharsets.UTF_8));
        }
        int status = !"POST".equals(exchange.getRequestMethod()) ? 405
                : failures.take().map(LocalHttpServer.InjectedFailures.Failure::status).orElse(200);
        synchronized (this) {
            received.add(new Received(exchange.getRequestURI().getPath(), headers, body, status, Instant.now()));
        }
        return new LocalHttpServer.Reply(status, JSON.createObjectNode(), Map.of());
    }

    @Override
    public void close() {
        server.close();
    }
}
