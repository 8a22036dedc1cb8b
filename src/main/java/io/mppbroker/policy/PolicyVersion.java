package io.mppbroker.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The version a decision was made under: the policy file plus the overlays that were applied. Without
 * overlays it is the file hash itself, so decisions under the plain file keep naming
 * {@link ProjectPolicy#versionHash()}.
 */
public final class PolicyVersion {
    private PolicyVersion() {}

    /**
     * {@code fileHash} when {@code overlayHashes} is empty; otherwise the hex SHA-256 of the UTF-8 text
     * {@code fileHash + "\n" + String.join("\n", sorted overlayHashes)}. Sorting makes the result independent
     * of the order overlays were loaded in; duplicates are kept as given.
     */
    public static String of(String fileHash, List<String> overlayHashes) {
        Objects.requireNonNull(fileHash, "fileHash");
        if (overlayHashes == null || overlayHashes.isEmpty()) return fileHash;
        List<String> sorted = new ArrayList<>(overlayHashes);
        sorted.forEach(h -> Objects.requireNonNull(h, "overlay hash"));
        sorted.sort(null);
        return Sha256.hex(fileHash + "\n" + String.join("\n", sorted));
    }
}
