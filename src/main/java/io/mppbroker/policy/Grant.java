package io.mppbroker.policy;

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
 *   <li>{@code deny}: substrings that, found in the request's {@code command}, refuse it.</li>
 * </ul>
 * Matching lives in {@code io.mppbroker.access.AccessPolicy}.
 */
public record Grant(String id, String service, List<String> actions, List<String> resources, List<String> branches,
                    List<String> deny) {

    public Grant {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(service, "service");
        actions = List.copyOf(actions);
        resources = resources == null ? List.of() : List.copyOf(resources);
        branches = branches == null ? List.of() : List.copyOf(branches);
        deny = deny == null ? List.of() : List.copyOf(deny);
    }
}
