package io.mppbroker.cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Creates a secret file that several nodes on a shared volume may try to create at the same moment: the content
 * is written to a private temporary file first and then hard-linked into place, which fails if the file exists.
 * So a reader never sees a half-written file and exactly one node's content wins; the others read it.
 */
public final class WriteOnce {

    private WriteOnce() {}

    /** Writes {@code content} to {@code file} unless it exists; returns false if another writer was first. */
    public static boolean create(Path file, String content) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path temp = dir.getFileSystem().supportedFileAttributeViews().contains("posix")
                ? Files.createTempFile(dir, ".new-", ".tmp",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))
                : Files.createTempFile(dir, ".new-", ".tmp");
        try {
            Files.writeString(temp, content, StandardCharsets.US_ASCII);
            try {
                Files.createLink(file, temp);
                return true;
            } catch (FileAlreadyExistsException raced) {
                return false;
            } catch (UnsupportedOperationException noHardLinks) {
                Files.move(temp, file); // fails if the file exists; not atomic for readers, but never overwrites
                return true;
            }
        } finally {
            Files.deleteIfExists(temp);
        }
    }
}
