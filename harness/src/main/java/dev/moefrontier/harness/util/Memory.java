package dev.moefrontier.harness.util;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Resident-set figures of this process from /proc (Linux); -1 where unavailable. */
public final class Memory {
    private static final Path STATUS = Path.of("/proc/self/status");

    private Memory() {}

    /** Whether /proc figures are available. */
    public static boolean available() {
        return Files.isReadable(STATUS);
    }

    /** Current resident set size in bytes. */
    public static long rss() {
        return field("VmRSS:");
    }

    /** Peak resident set size in bytes since start (or since {@link #resetPeak}). */
    public static long peakRss() {
        return field("VmHWM:");
    }

    /** Resets the peak to the current RSS (Linux 4.0+); returns false if not possible. */
    public static boolean resetPeak() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
            return true;
        } catch (IOException | SecurityException e) {
            return false;
        }
    }

    private static long field(String name) {
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith(name)) {
                    String[] parts = line.substring(name.length()).trim().split("\\s+");
                    return Long.parseLong(parts[0]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /**
     * Returns free heap memory to the operating system ({@code malloc_trim(0)}, glibc): large computations that free
     * and reallocate blocks of varying size otherwise keep their high-water mark resident. False where unavailable.
     */
    public static boolean trim() {
        try {
            return com.sun.jna.NativeLibrary.getInstance("c").getFunction("malloc_trim").invokeInt(new Object[] {0}) != 0;
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return false;
        }
    }

    /** "1.23 GB". */
    public static String human(long bytes) {
        if (bytes < 0) {
            return "n/a";
        }
        return bytes >= 1e9 ? String.format("%.2f GB", bytes / 1e9) : String.format("%.0f MB", bytes / 1e6);
    }
}
