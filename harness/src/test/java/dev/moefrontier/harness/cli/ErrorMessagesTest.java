package dev.moefrontier.harness.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.MalformedInputException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import org.junit.jupiter.api.Test;

/** File errors reach the user as "file: problem in words", never a bare path or a decoder's "Input length = 1". */
class ErrorMessagesTest {
    @Test
    void fileErrorsNameTheFileAndTheProblem() {
        assertEquals("/proc/x: no such file or directory", Main.message(new NoSuchFileException("/proc/x")));
        assertEquals("/etc/shadow: permission denied", Main.message(new AccessDeniedException("/etc/shadow")));
        assertEquals("/data/out.csv: no space left on device",
                Main.message(new FileSystemException("/data/out.csv", null, "No space left on device")));
        assertEquals("cannot write calibration cache /c/x.safetensors: /c: permission denied",
                Main.message(new UncheckedIOException("cannot write calibration cache /c/x.safetensors", new AccessDeniedException("/c"))));
        assertEquals("/a/b.txt: no such file or directory", Main.message(new UncheckedIOException(new NoSuchFileException("/a/b.txt"))));
        assertEquals("not valid UTF-8 text", dev.moefrontier.harness.util.IoErrors.reason(new MalformedInputException(1)));
        assertEquals("I/O error", dev.moefrontier.harness.util.IoErrors.reason(new IOException("I/O error")), "acronyms kept");
    }
}
