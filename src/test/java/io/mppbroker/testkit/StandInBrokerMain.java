package io.mppbroker.testkit;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A stand-in for the packaged broker, run by {@link BrokerProcessTest} through {@link BrokerProcess}: listens on
 * {@code QUARKUS_HTTP_PORT}, reports ready after {@code STANDIN_READY_AFTER_MS}, echoes {@code GET /env/NAME},
 * fails at start when {@code STANDIN_FAIL} is set, and says so when its shutdown hook runs (SIGTERM).
 */
public final class StandInBrokerMain {

    private StandInBrokerMain() {
    }

    public static void main(String[] args) throws IOException {
        String failure = System.getenv("STANDIN_FAIL");
        if (failure != null) {
            System.err.println("stand-in failed to start: " + failure);
            System.exit(3);
        }
        long readyAt = System.currentTimeMillis()
                + Long.parseLong(System.getenv().getOrDefault("STANDIN_READY_AFTER_MS", "0"));
        int port = Integer.parseInt(System.getenv("QUARKUS_HTTP_PORT"));
        HttpServer server = LocalHttpServer.loopback(port, 50);
        server.createContext("/", exchange -> {
            String path = exchange.getRequestURI().getPath();
            int status;
            String body;
            if (path.equals("/q/health/ready")) {
                boolean ready = System.currentTimeMillis() >= readyAt;
                status = ready ? 200 : 503;
                body = ready ? "{\"status\":\"UP\"}" : "{\"status\":\"DOWN\"}";
            } else if (path.startsWith("/env/")) {
                status = 200;
                body = String.valueOf(System.getenv(path.substring(5)));
            } else {
                status = 404;
                body = "";
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
            if (bytes.length > 0) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(bytes);
                }
            }
            exchange.close();
        });
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("stand-in shutting down gracefully");
            System.out.flush();
            server.stop(0);
        }));
        server.start();
        System.out.println("stand-in listening on " + port);
    }
}
