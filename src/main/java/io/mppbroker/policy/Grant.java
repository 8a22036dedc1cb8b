package io.mppbroker.policy;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One access grant of a project policy ({@code grants[]}): the project's agents may perform {@code actions} of
 * {@code service} on {@code resources}. Access is denied by default: only what a grant names is allowed.
 * <ul>
 *   <li>{@code id}: stable name for audit lines, the file's {@code id} or {@code "<project>#<index>"};</li>
 *   <li>{@code actions}: patterns over the service's actions ({@code s3:GetObject}, {@code charges:*}, {@code *});</li>
 *   <li>{@code resources}: glob or ARN patterns; empty = any resource of the service;</li>
 *   <li>{@code branches}: git branch globs; empty = no branch restriction;</li>
 *   <li>{@code deny}: substrings that, found in the request's {@code command}, refuse it;</li>
 *   <li>{@code expires}: the instant from which the grant no longer allows anything; null = no expiry.</li>
 * </ul>
 * Grants issued by an approved access request ({@code io.mppbroker.access.IssuedGrants}) are the same shape with
 * an id {@code grt_...} and an expiry.
 * Matching lives in {@code io.mppbroker.access.AccessPolicy}.
 */
public record Grant(String id, String service, List<String> actions, List<String> resources, List<String> branches,
                    List<String> deny, Instant expires) {

    /** A grant without expiry. */
    public Grant(String id, String service, List<String> actions, List<String> resources, List<String> branches,
                 List<String> deny) {
        this(id, service, actions, resources, branches, deny, null);
    }

    public Grant {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(service, "service");
        actions = List.copyOf(actions);
        resources = resources == null ? List.of() : List.copyOf(resources);
        branches = branches == null ? List.of() : List.copyOf(branches);
        deny = deny == null ? List.of() : List.copyOf(deny);
    }

    /** Whether the grant still allows at {@code now}. */
    public boolean activeAt(Instant now) {
        return expires == null || now.isBefore(expires);
    }
}
