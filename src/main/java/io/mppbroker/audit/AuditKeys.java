package io.mppbroker.audit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.EdECPrivateKey;
import java.security.spec.NamedParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Ed25519 keys for audit checkpoints, in the formats OpenSSL writes: PKCS#8 PEM ({@code BEGIN PRIVATE KEY},
 * {@code openssl genpkey -algorithm ed25519}) and X.509 SubjectPublicKeyInfo PEM ({@code BEGIN PUBLIC KEY},
 * {@code openssl pkey -pubout}). A key "spec" is a path to a PEM file, PEM text, or base64 of the DER bytes.
 * JDK 17 has Ed25519 built in, so no crypto library is needed.
 */
public final class AuditKeys {

    public static final String ALGORITHM = "Ed25519";
    private static final Pattern PEM = Pattern.compile(
            "-----BEGIN ([A-Z ]+)-----([A-Za-z0-9+/=\\s]*)-----END \\1-----");

    private AuditKeys() {}

    /** A signing key with its public half and the key id checkpoints name. */
    public record SigningKey(PrivateKey privateKey, PublicKey publicKey, String keyId) {
        public static SigningKey of(PrivateKey privateKey) {
            PublicKey publicKey = publicKeyOf(privateKey);
            return new SigningKey(privateKey, publicKey, AuditKeys.keyId(publicKey));
        }

        public static SigningKey generate() {
            try {
                KeyPair pair = KeyPairGenerator.getInstance(ALGORITHM).generateKeyPair();
                return new SigningKey(pair.getPrivate(), pair.getPublic(), AuditKeys.keyId(pair.getPublic()));
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("JDK 17 ships Ed25519", e);
            }
        }
    }

    /**
     * Key id: the first 16 hex digits of SHA-256 over the public key's SubjectPublicKeyInfo DER, i.e.
     * {@code openssl pkey -pubin -in key.pub.pem -outform DER | sha256sum | cut -c1-16}.
     */
    public static String keyId(PublicKey publicKey) {
        return AuditLines.sha256Hex(publicKey.getEncoded()).substring(0, 16);
    }

    public static PrivateKey readPrivateKey(String spec) {
        Decoded d = decode(spec);
        if (d.label != null && !d.label.equals("PRIVATE KEY")) {
            throw new IllegalArgumentException("expected a PKCS#8 \"PRIVATE KEY\" PEM, found \"" + d.label + "\"");
        }
        try {
            return KeyFactory.getInstance(ALGORITHM).generatePrivate(new PKCS8EncodedKeySpec(d.der));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("not an Ed25519 PKCS#8 private key" + (d.label == null ? " (nor a readable file)" : "")
                    + ": " + e.getMessage(), e);
        }
    }

    /** A public key; given a private key (PEM or DER), its public half. */
    public static PublicKey readPublicKey(String spec) {
        Decoded d = decode(spec);
        if ("PRIVATE KEY".equals(d.label)) {
            return publicKeyOf(readPrivateKey(spec));
        }
        if (d.label != null && !d.label.equals("PUBLIC KEY")) {
            throw new IllegalArgumentException("expected a \"PUBLIC KEY\" or \"PRIVATE KEY\" PEM, found \"" + d.label + "\"");
        }
        try {
            return KeyFactory.getInstance(ALGORITHM).generatePublic(new X509EncodedKeySpec(d.der));
        } catch (GeneralSecurityException notSpki) {
            if (d.label == null) {
                try {
                    return publicKeyOf(KeyFactory.getInstance(ALGORITHM).generatePrivate(new PKCS8EncodedKeySpec(d.der)));
                } catch (GeneralSecurityException notPkcs8) {
                    // fall through to the error below
                }
            }
            throw new IllegalArgumentException("not an Ed25519 public key" + (d.label == null ? " (nor a readable file)" : "")
                    + ": " + notSpki.getMessage(), notSpki);
        }
    }

    /**
     * JDK 17 has no API that derives an Ed25519 public key from a private one, but its key pair generator
     * takes the 32 private bytes from the SecureRandom it is given and computes the public key from them.
     * Feeding it the existing private bytes therefore yields the matching public key; the result is checked
     * with a signature so a JDK that generates differently fails loudly instead of yielding a wrong key.
     */
    public static PublicKey publicKeyOf(PrivateKey privateKey) {
        if (!(privateKey instanceof EdECPrivateKey ed) || ed.getBytes().isEmpty()) {
            throw new IllegalArgumentException("not an Ed25519 private key");
        }
        byte[] raw = ed.getBytes().get();
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance(ALGORITHM);
            generator.initialize(NamedParameterSpec.ED25519, new FixedBytes(raw));
            PublicKey candidate = generator.generateKeyPair().getPublic();
            byte[] probe = "mpp-broker audit key check".getBytes(StandardCharsets.UTF_8);
            if (!verify(candidate, probe, sign(privateKey, probe))) {
                throw new IllegalStateException("cannot derive the public key on this JDK; configure broker.audit.verify-key");
            }
            return candidate;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("JDK 17 ships Ed25519", e);
        } finally {
            Arrays.fill(raw, (byte) 0);
        }
    }

    public static byte[] sign(PrivateKey key, byte[] message) {
        try {
            Signature s = Signature.getInstance(ALGORITHM);
            s.initSign(key);
            s.update(message);
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 signing failed: " + e.getMessage(), e);
        }
    }

    public static boolean verify(PublicKey key, byte[] message, byte[] signature) {
        try {
            Signature s = Signature.getInstance(ALGORITHM);
            s.initVerify(key);
            s.update(message);
            return s.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    public static String privatePem(PrivateKey key) {
        return pem("PRIVATE KEY", key.getEncoded());
    }

    public static String publicPem(PublicKey key) {
        return pem("PUBLIC KEY", key.getEncoded());
    }

    private static String pem(String label, byte[] der) {
        return "-----BEGIN " + label + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + label + "-----\n";
    }

    private record Decoded(String label, byte[] der) {}

    private static Decoded decode(String spec) {
        String text = spec.strip();
        if (!text.startsWith("-----BEGIN")) {
            Path file = asExistingFile(text);
            if (file != null) {
                try {
                    text = Files.readString(file, StandardCharsets.US_ASCII).strip();
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read key file " + file, e);
                }
                if (!text.startsWith("-----BEGIN")) {
                    throw new IllegalArgumentException("key file " + file + " is not PEM");
                }
            }
        }
        if (text.startsWith("-----BEGIN")) {
            Matcher m = PEM.matcher(text);
            if (!m.find()) {
                throw new IllegalArgumentException("malformed PEM key");
            }
            return new Decoded(m.group(1), Base64.getMimeDecoder().decode(m.group(2)));
        }
        try {
            return new Decoded(null, Base64.getDecoder().decode(text.replaceAll("\\s", "")));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("a key must be a PEM file, PEM text or base64 DER; got neither a readable file nor base64");
        }
    }

    private static Path asExistingFile(String text) {
        try {
            Path p = Path.of(text);
            return Files.isRegularFile(p) ? p : null;
        } catch (InvalidPathException e) {
            return null;
        }
    }

    /** Hands out exactly the given bytes once; anything else is a misuse. */
    private static final class FixedBytes extends SecureRandom {
        private final byte[] bytes;
        private boolean used;

        FixedBytes(byte[] bytes) {
            this.bytes = bytes.clone();
        }

        @Override
        public void nextBytes(byte[] out) {
            if (used || out.length != bytes.length) {
                throw new IllegalStateException("unexpected use of the key derivation source");
            }
            System.arraycopy(bytes, 0, out, 0, out.length);
            Arrays.fill(bytes, (byte) 0);
            used = true;
        }
    }
}
