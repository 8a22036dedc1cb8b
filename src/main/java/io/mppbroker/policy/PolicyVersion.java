package io.mppbroker.policy;

import java.util.List;

/**
 * The version of a project's policy in force: the policy file's SHA-256, combined with the SHA-256 of every
 * overlay applied on top of it (revised budgets, for instance), in the order they apply. With no overlays the
 * version is the file hash itself, so {@code sha256sum research.yaml} names the version an auditor sees.
 */
public final class PolicyVersion {

    private PolicyVersion() {}

    /**
     * @param fileHash      lowercase hex SHA-256 of the policy file bytes
     * @param overlayHashes lowercase hex SHA-256 of each overlay, in application order (empty today)
     * @return {@code fileHash} when there are no overlays, otherwise the SHA-256 of
     *         {@code fileHash + "\n" + overlay1 + "\n" + ... + overlayN}
     */
    public static String of(String fileHash, List<String> overlayHashes) {
        if (overlayHashes.isEmpty()) {
            return fileHash;
        }
        return Sha256.hex(fileHash + "\n" + String.join("\n", overlayHashes));
    }
}
