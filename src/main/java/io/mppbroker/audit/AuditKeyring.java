package io.mppbroker.audit;

import io.mppbroker.cluster.WriteOnce;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * The key that signs audit checkpoints and the public keys that verify them. Logs key ids (fingerprints),
 * never key material.
 */
@ApplicationScoped
public class AuditKeyring {

    static final String KEY_FILE = "audit-signing-key.pem";
    static final String PUBLIC_KEY_FILE = "audit-signing-key.pub.pem";

    private static final Logger LOG = Logger.getLogger(AuditKeyring.class);

    private final AuditConfig config;
    private final Path keyDir;
    private volatile AuditKeys.SigningKey signingKey;
    private volatile Map<String, PublicKey> trusted;

    public AuditKeyring(AuditConfig config, @ConfigProperty(name = "broker.data-dir", defaultValue = "data") Path dataDir) {
        this.config = config;
        this.keyDir = dataDir.resolve("keys");
    }

    public AuditKeys.SigningKey signingKey() {
        load();
        return signingKey;
    }

    /** Public keys by key id: the signing key's and every {@code broker.audit.verify-key}. */
    public Map<String, PublicKey> trustedKeys() {
        load();
        return trusted;
    }

    private synchronized void load() {
        if (signingKey != null) return;
        AuditKeys.SigningKey key;
        if (config.signingKey().isPresent()) {
            key = AuditKeys.SigningKey.of(AuditKeys.readPrivateKey(config.signingKey().get()));
            LOG.infof("audit checkpoints are signed with key id %s (broker.audit.signing-key)", key.keyId());
        } else {
            key = ownKey();
        }
        Map<String, PublicKey> keys = new LinkedHashMap<>();
        keys.put(key.keyId(), key.publicKey());
        for (String spec : config.verifyKey().orElse(java.util.List.of())) {
            PublicKey pub = AuditKeys.readPublicKey(spec);
            keys.put(AuditKeys.keyId(pub), pub);
        }
        trusted = Collections.unmodifiableMap(keys);
        signingKey = key;
    }

    /** The broker's own key under the data directory, generated at first start. */
    private AuditKeys.SigningKey ownKey() {
        Path privateFile = keyDir.resolve(KEY_FILE).toAbsolutePath();
        Path publicFile = keyDir.resolve(PUBLIC_KEY_FILE).toAbsolutePath();
        try {
            if (Files.isRegularFile(privateFile)) {
                AuditKeys.SigningKey key = AuditKeys.SigningKey.of(AuditKeys.readPrivateKey(privateFile.toString()));
                writePublic(publicFile, key);
                LOG.infof("audit checkpoints are signed with key id %s (%s)", key.keyId(), privateFile);
                return key;
            }
            AuditKeys.SigningKey key = AuditKeys.SigningKey.generate();
            // Nodes sharing the key directory may start together: the first key written is everyone's key.
            if (!WriteOnce.create(privateFile, AuditKeys.privatePem(key.privateKey()))) {
                return ownKey();
            }
            writePublic(publicFile, key);
            LOG.infof("generated the audit signing key %s, key id %s; its public key for `audit verify --public-key` is %s."
                    + " Back the private key up and keep it secret.", privateFile, key.keyId(), publicFile);
            return key;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or create the audit signing key in " + keyDir, e);
        }
    }

    private static void writePublic(Path publicFile, AuditKeys.SigningKey key) throws IOException {
        if (!Files.exists(publicFile)) {
            WriteOnce.create(publicFile, AuditKeys.publicPem(key.publicKey()));
        }
    }
}
