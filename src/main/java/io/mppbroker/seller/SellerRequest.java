package io.mppbroker.seller;

import java.net.URI;
import java.util.Map;

/** What the agent asked the broker to fetch. The body is kept as bytes so a paid retry replays it exactly. */
public record SellerRequest(String method, URI url, Map<String, String> headers, byte[] body) {

    public SellerRequest {
        headers = Map.copyOf(headers);
        body = body == null ? new byte[0] : body;
    }

    public String host() {
        return url.getHost();
    }
}
