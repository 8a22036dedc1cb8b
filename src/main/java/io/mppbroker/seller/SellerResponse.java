package io.mppbroker.seller;

import java.util.List;
import java.util.Map;
import java.util.Optional;

public record SellerResponse(int status, Map<String, List<String>> headers, byte[] body) {

    public List<String> all(String name) {
        return headers.entrySet().stream()
                .filter(e -> e.getKey().equalsIgnoreCase(name))
                .flatMap(e -> e.getValue().stream())
                .toList();
    }

    public Optional<String> first(String name) {
        return all(name).stream().findFirst();
    }

    public boolean isSuccess() {
        return status >= 200 && status < 300;
    }
}
