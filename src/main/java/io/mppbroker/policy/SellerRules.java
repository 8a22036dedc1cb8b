package io.mppbroker.policy;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Which sellers a project may pay. Deny wins over allow; with {@code default: deny} only sellers matching
 * an allow entry may be paid, with {@code default: allow} the allow list has no effect.
 */
public record SellerRules(Default defaultRule, List<SellerPattern> allow, List<SellerPattern> deny) {
    public enum Default { ALLOW, DENY }

    public SellerRules {
        Objects.requireNonNull(defaultRule, "defaultRule");
        allow = List.copyOf(allow);
        deny = List.copyOf(deny);
    }

    public Optional<SellerPattern> deniedBy(String sellerHost, String realm, Optional<String> networkProfile) {
        return firstMatch(deny, sellerHost, realm, networkProfile);
    }

    public Optional<SellerPattern> allowedBy(String sellerHost, String realm, Optional<String> networkProfile) {
        return firstMatch(allow, sellerHost, realm, networkProfile);
    }

    private static Optional<SellerPattern> firstMatch(List<SellerPattern> patterns, String host, String realm, Optional<String> profile) {
        return patterns.stream().filter(p -> p.matches(host, realm, profile)).findFirst();
    }
}
