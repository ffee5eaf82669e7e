package dev.moefrontier.harness.util;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Result files appear whole or not at all: content goes to a temporary file in the target's directory, which is
 * renamed over the target only after it is complete. A failed write leaves the target untouched.
 */
public final class AtomicFiles {
    /** Writes the content of a file given its (temporary) path. */
    @FunctionalInterface
    public interface Writer {
        void write(Path tmp) throws IOException;
    }

    private AtomicFiles() {}

    /** Runs {@code writer} on a temporary sibling of {@code target}, then renames it to {@code target}. */
    public static void write(Path target, Writer writer) throws IOException {
        Path parent = target.toAbsolutePath().getParent();
        Path tmp;
        try {
            Files.createDirectories(parent);
            tmp = Files.createTempFile(parent, "." + target.getFileName(), ".tmp", readable());
        } catch (IOException e) {
            throw new IOException("cannot write " + target + ": " + IoErrors.describe(e), e);
        }
        boolean ok = false;
        try {
            writer.write(tmp);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            ok = true;
        } catch (IOException e) {
            // The temporary name means nothing to the user: name the target and say what went wrong.
            throw new IOException("cannot write " + target + ": " + IoErrors.reason(e), e);
        } finally {
            if (!ok) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the original error matters more
                }
            }
        }
    }

    /** Writes a UTF-8 string atomically. */
    public static void writeString(Path target, CharSequence content) throws IOException {
        write(target, tmp -> Files.writeString(tmp, content, StandardCharsets.UTF_8));
    }

    /** rw-r--r-- on POSIX file systems (temporary files default to rw-------). */
    private static FileAttribute<?>[] readable() {
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            return new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--"))};
        }
        return new FileAttribute<?>[0];
    }
}
