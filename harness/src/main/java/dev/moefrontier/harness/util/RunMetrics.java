package dev.moefrontier.harness.util;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Figures a process reports about its own work for a benchmark that ran it as a child ({@code bench scale}): when
 * {@code -Dfrontier.metrics=FILE} is set, the process writes at exit one JSON object with its peak resident set
 * (VmHWM), its wall time since start and the counters its commands added (work done: tokens, merges, FLOPs of a bound).
 * Without the property every call is a no-op.
 */
public final class RunMetrics {
    /** The system property naming the file to write at exit. */
    public static final String PROPERTY = "frontier.metrics";

    private static final Map<String, Double> COUNTERS = new TreeMap<>();
    private static final long START = System.nanoTime();

    private RunMetrics() {}

    /** Whether this process writes a metrics file at exit. */
    public static boolean enabled() {
        return System.getProperty(PROPERTY) != null;
    }

    /** Adds {@code value} to counter {@code key} (a no-op unless the metrics file is requested). */
    public static synchronized void add(String key, double value) {
        if (System.getProperty(PROPERTY) != null) {
            COUNTERS.merge(key, value, Double::sum);
        }
    }

    /** The counters so far (a copy). */
    public static synchronized Map<String, Double> counters() {
        return new TreeMap<>(COUNTERS);
    }

    /** Registers the exit hook that writes the file, if the property is set (called once by the launcher). */
    public static void installIfRequested() {
        String file = System.getProperty(PROPERTY);
        if (file == null || file.isBlank()) {
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> write(Path.of(file)), "frontier-metrics"));
    }

    private static void write(Path file) {
        StringBuilder sb = new StringBuilder("{");
        sb.append(String.format(Locale.ROOT, "\"peak_rss_bytes\": %d, \"wall_s\": %.3f", Memory.peakRss(),
                (System.nanoTime() - START) / 1e9));
        for (Map.Entry<String, Double> e : counters().entrySet()) {
            sb.append(String.format(Locale.ROOT, ", \"%s\": %.6g", e.getKey(), e.getValue()));
        }
        sb.append("}\n");
        try {
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.writeString(tmp, sb.toString(), StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            System.err.println("frontier: cannot write metrics " + file + ": " + e.getMessage());
        }
    }
}
