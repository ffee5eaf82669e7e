package dev.moefrontier.harness.io;

import java.nio.file.Path;

/**
 * A checkpoint, config or tensor file that cannot be used. The message is one line and names the file
 * (and the tensor, when one is at fault), so the CLI can print it as is.
 */
public class CheckpointException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CheckpointException(String message) {
        super(message);
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }

    /** "file: message". */
    public static CheckpointException of(Path file, String message) {
        return new CheckpointException(file + ": " + message);
    }

    /** "file: tensor 'name': message". */
    public static CheckpointException of(Path file, String tensor, String message) {
        return new CheckpointException(file + ": tensor '" + tensor + "': " + message);
    }
}
