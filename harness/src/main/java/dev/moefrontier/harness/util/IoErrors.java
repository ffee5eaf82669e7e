package dev.moefrontier.harness.util;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;

/**
 * I/O errors in words: the JDK's messages are often just a path ({@code NoSuchFileException}) or just a reason
 * ("No space left on device"); users get "file: problem" in one line.
 */
public final class IoErrors {
    private IoErrors() {}

    /** The problem, without the file: "no such file or directory", "permission denied", ... */
    public static String reason(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file or directory";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof FileAlreadyExistsException) {
            return "already exists";
        }
        if (e instanceof DirectoryNotEmptyException) {
            return "directory not empty";
        }
        if (e instanceof NotDirectoryException) {
            return "not a directory";
        }
        if (e instanceof CharacterCodingException) {
            return "not valid UTF-8 text";
        }
        if (e instanceof FileSystemException f) {
            String r = f.getReason();
            return r != null ? lower(r) : e.getClass().getSimpleName();
        }
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : lower(m);
    }

    /** "file: problem" for an error met on {@code file}. */
    public static String describe(Path file, IOException e) {
        return file + ": " + reason(e);
    }

    /** "file: problem" naming the file the exception carries, when it carries one. */
    public static String describe(IOException e) {
        if (e instanceof FileSystemException f && f.getFile() != null) {
            String other = f.getOtherFile() != null ? " (and " + f.getOtherFile() + ")" : "";
            return f.getFile() + other + ": " + reason(e);
        }
        return reason(e);
    }

    /** As {@link #describe(IOException)}, keeping an unchecked wrapper's own message when it names more. */
    public static String describe(UncheckedIOException e) {
        String own = e.getMessage();
        String cause = describe(e.getCause());
        if (own == null || own.equals(e.getCause().toString()) || own.contains(cause)) {
            return cause;
        }
        return own + ": " + cause;
    }

    /** An unchecked error "file: problem" for {@code file}. */
    public static UncheckedIOException unchecked(Path file, IOException e) {
        return new UncheckedIOException(describe(file, e), e);
    }

    private static String lower(String s) {
        // "No space left on device" -> "no space left on device"; keep acronyms ("I/O error") as they are.
        return s.length() > 1 && Character.isUpperCase(s.charAt(0)) && Character.isLowerCase(s.charAt(1))
                ? Character.toLowerCase(s.charAt(0)) + s.substring(1) : s;
    }
}
