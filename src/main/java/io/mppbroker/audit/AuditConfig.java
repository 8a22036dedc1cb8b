package io.mppbroker.audit;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

@ConfigMapping(prefix = "broker.audit")
public interface AuditConfig {

    /**
     * The live JSONL audit file. Lines are appended by one writer, in seq order, after their transaction
     * commits; rotated files ({@code audit-<first seq>.jsonl}) sit next to it.
     */
    @WithDefault("data/audit/audit.jsonl")
    Path file();

    /**
     * How long the sealer lets committed lines gather after the first one before sealing them in one transaction:
     * one WAL flush per batch instead of one per line. Readers that need their own lines seal at once anyway.
     */
    @WithDefault("50ms")
    Duration sealDelay();

    /** The live file is rotated before a line would take it past this size. */
    @WithDefault("64M")
    MemorySize maxFileBytes();

    /** A signed checkpoint is added at the latest this long after the first line it does not yet cover. */
    @WithDefault("60s")
    Duration checkpointInterval();

    /** ... or as soon as this many lines are not covered by a checkpoint. */
    @WithDefault("1000")
    int checkpointLines();

    /**
     * Ed25519 private key that signs checkpoints: a path to a PKCS#8 PEM file, PEM text, or base64 of the DER.
     * Without it the broker uses {@code <broker.data-dir>/keys/audit-signing-key.pem}, generated at first start.
     */
    Optional<String> signingKey();

    /**
     * Further public keys whose checkpoints verify (e.g. keys used before a key change), comma-separated, each a
     * path, PEM or base64. The signing key's own public key is always trusted.
     */
    Optional<List<String>> verifyKey();
}
