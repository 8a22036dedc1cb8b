package io.mppbroker.testkit;

import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A JDK HTTP server on 127.0.0.1 and an ephemeral port that can be taken down and brought back on the same port,
 * so a fake's base URL stays valid across a simulated outage. While down nothing listens: clients get
 * "connection refused", and connections open at that moment are closed.
 */
final class LocalHttpServer implements AutoCloseable {

    private final String name;
    private final HttpHandler handler;
    private final ExecutorService executor;
    private final int port;
    private HttpServer server; // null while down; guarded by this

    LocalHttpServer(String name, HttpHandler handler) {
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

    private HttpServer bind(int wantedPort) throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), wantedPort), 512);
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
