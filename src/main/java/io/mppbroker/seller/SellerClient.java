package io.mppbroker.seller;

import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Real HTTP between the broker and sellers. */
@ApplicationScoped
public class SellerClient {

    /** Headers the HTTP client owns, or that must not be forwarded from the agent to a seller. */
    private static final Set<String> NOT_FORWARDED = Set.of(
            "host", "content-length", "connection", "upgrade", "expect", "keep-alive", "te", "trailer",
            "transfer-encoding", "proxy-authorization", "proxy-connection", "http2-settings");

    private final SellerConfig config;
    private final HttpClient http;

    public SellerClient(SellerConfig config) {
        this.config = config;
        this.http = HttpClient.newBuilder()
                .connectTimeout(config.connectTimeout())
                .followRedirects(HttpClient.Redirect.NEVER) // a redirect could carry the credential elsewhere
                .version(HttpClient.Version.HTTP_1_1)
                .build();
    }

    /**
     * Sends the agent's request, with {@code extraHeaders} (the payment credential, Accept-Payment) added.
     * The body bytes are sent exactly as the agent gave them.
     */
    public SellerResponse send(SellerRequest request, Map<String, String> extraHeaders) throws SellerUnreachable {
        HttpRequest.Builder builder = HttpRequest.newBuilder(request.url()).timeout(config.readTimeout());
        request.headers().forEach((name, value) -> {
            if (!NOT_FORWARDED.contains(name.toLowerCase(Locale.ROOT)) && !containsIgnoreCase(extraHeaders, name)) {
                builder.header(name, value);
            }
        });
        extraHeaders.forEach(builder::header);
        HttpRequest.BodyPublisher body = request.body().length == 0
                ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofByteArray(request.body());
        builder.method(request.method(), body);
        try {
            HttpResponse<InputStream> response = http.send(builder.build(), HttpResponse.BodyHandlers.ofInputStream());
            byte[] bytes;
            try (InputStream in = response.body()) {
                bytes = in.readNBytes(config.maxResponseBytes());
            }
            return new SellerResponse(response.statusCode(), response.headers().map(), bytes);
        } catch (HttpConnectTimeoutException | ConnectException e) {
            throw new SellerUnreachable("could not connect to " + request.host(), false, e);
        } catch (IOException e) {
            // Timeouts and resets after the request left: the seller may have acted on it.
            throw new SellerUnreachable("no complete answer from " + request.host() + ": " + e.getClass().getSimpleName(), true, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SellerUnreachable("interrupted while calling " + request.host(), true, e);
        }
    }

    private static boolean containsIgnoreCase(Map<String, String> headers, String name) {
        return headers.keySet().stream().anyMatch(k -> k.equalsIgnoreCase(name));
    }
}
