package io.mppbroker.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A JDK HTTP server on 127.0.0.1 and an ephemeral port that can be taken down and brought back on the same port,
 * so a fake's base URL stays valid across a simulated outage. While down nothing listens: clients get
 * "connection refused", and connections open at that moment are closed. The fakes of JSON APIs (Slack, Telegram)
 * only say what to answer ({@link JsonHandler}); reading the request and writing the answer happen here.
 */
final class LocalHttpServer implements AutoCloseable {

    /** A JSON answer: status, body, and headers besides Content-Type. */
    record Reply(int status, JsonNode body, Map<String, String> headers) {
        static Reply of(JsonNode body) {
            return new Reply(200, body, Map.of());
        }
    }

    /** Answers one request, given its body (already read). */
    @FunctionalInterface
    interface JsonHandler {
        Reply handle(HttpExchange exchange, byte[] body);
    }

    /**
     * The next {@code n} calls fail before any effect, the way the API limits or breaks: the fakes' {@code failNext}.
     * Each fake decides which requests count as calls and how the failure looks.
     */
    static final class InjectedFailures {
        private final AtomicInteger remaining = new AtomicInteger();
        private volatile int status = 429;
        private volatile int retryAfterSeconds = 1;

        /** What to answer instead of the call: this status, and with 429 this Retry-After. */
        record Failure(int status, int retryAfterSeconds) {}

        void failNext(int n, int httpStatus, int retryAfter) {
            status = httpStatus;
            retryAfterSeconds = retryAfter;
            remaining.set(n);
        }

        /** Uses up one injected failure, if any is left. */
        Optional<Failure> take() {
            return remaining.getAndUpdate(n -> Math.max(0, n - 1)) > 0
                    ? Optional.of(new Failure(status, retryAfterSeconds)) : Optional.empty();
        }
    }

    private final String name;
    private final HttpHandler handler;
    private final ExecutorService executor;
    private final int port;
    private HttpServer server; // null while down; guarded by this

    /** Serves JSON: every answer goes out with {@code contentType} and the reply's status, headers and body. */
    LocalHttpServer(String name, String contentType, JsonHandler json) {
        this(name, exchange -> serve(exchange, contentType, json));
    }

    private static void serve(HttpExchange exchange, String contentType, JsonHandler json) throws IOException {
        try {
            byte[] body = exchange.getRequestBody().readAllBytes();
            Reply reply = json.handle(exchange, body);
            var headers = exchange.getResponseHeaders();
            headers.set("Content-Type", contentType);
            reply.headers().forEach(headers::set);
            byte[] bytes = reply.body().toString().getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(reply.status(), bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        } finally {
            exchange.close();
        }
    }

    private LocalHttpServer(String name, HttpHandler handler) {
        this.name = name;
        this.handler = handler;
        this.executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
        try {
            this.server = bind(0);
        } catch (IOException e) {
            executor.shutdownNow();
            throw new IllegalStateException("cannot start " + name, e);
        }
        this.port = server.getAddress().getPort();
    }

    /**
     * A JDK HTTP server on 127.0.0.1 that sends small writes at once. The JDK server leaves Nagle's algorithm on
     * unless {@code sun.net.httpserver.nodelay} is set before its first use in the JVM; a response written as headers
     * then body then waits for the client's delayed ACK (40 ms on Linux), so every call to a fake cost ~40 ms more
     * than a real server's, and benchmarks measured that stall instead of the payment. Every fake binds through here.
     */
    static HttpServer loopback(int port, int backlog) throws IOException {
        System.setProperty("sun.net.httpserver.nodelay", "true");
        return HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), backlog);
    }

    private HttpServer bind(int wantedPort) throws IOException {
        HttpServer s = loopback(wantedPort, 512);
        s.setExecutor(executor);
        s.createContext("/", handler);
        s.start();
        return s;
    }

    int port() {
        return port;
    }

    /** {@code http://127.0.0.1:PORT}, no trailing slash. */
    String origin() {
        return "http://127.0.0.1:" + port;
    }

    synchronized boolean isDown() {
        return server == null;
    }

    /** {@code true}: stop listening and drop open connections; {@code false}: listen again on the same port. */
    synchronized void down(boolean down) {
        if (down && server != null) {
            server.stop(0);
            server = null;
        } else if (!down && server == null) {
            IOException last = null;
            // The port was ours a moment ago; retry briefly in case the OS has not released it yet.
            for (int attempt = 0; attempt < 50; attempt++) {
                try {
                    server = bind(port);
                    return;
                } catch (IOException e) {
                    last = e;
                    try {
                        Thread.sleep(20);
                    } catch (InterruptedException ie) {
                        Thread.currentThread().interrupt();
                        break;
                    }
                }
            }
            throw new IllegalStateException(name + " cannot listen again on port " + port, last);
        }
    }

    @Override
    public synchronized void close() {
        if (server != null) {
            server.stop(0);
            server = null;
        }
        executor.shutdownNow();
    }
}
