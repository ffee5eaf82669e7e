package dev.moefrontier.harness.runtime;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;

/**
 * The CPU as {@code /proc/cpuinfo} describes it (Linux): model, vendor and instruction-set flags.
 *
 * @param model model name, or "unknown"
 * @param vendor vendor id (GenuineIntel, AuthenticAMD, ...), or "unknown"
 * @param flags instruction-set flags of the first processor (empty when unknown)
 */
public record CpuInfo(String model, String vendor, Set<String> flags) {

    /** Reads /proc/cpuinfo; unknown fields when it cannot be read. */
    public static CpuInfo read() {
        String model = "unknown";
        String vendor = "unknown";
        Set<String> flags = new TreeSet<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"), StandardCharsets.UTF_8)) {
                int c = line.indexOf(':');
                if (c < 0) {
                    if (line.isBlank() && !flags.isEmpty()) {
                        break; // first processor only
                    }
                    continue;
                }
                String k = line.substring(0, c).trim();
                String v = line.substring(c + 1).trim();
                switch (k) {
                    case "model name" -> model = v;
                    case "vendor_id" -> vendor = v;
                    case "flags" -> flags.addAll(Arrays.asList(v.split("\\s+")));
                    default -> { }
                }
            }
        } catch (IOException e) {
            // not Linux, or no procfs: unknown
        }
        return new CpuInfo(model, vendor, Set.copyOf(flags));
    }

    /** Whether the flags could be read at all. */
    public boolean known() {
        return !flags.isEmpty();
    }

    public boolean has(String flag) {
        return flags.contains(flag);
    }

    /** The widest vector instruction set the CPU offers: avx512, avx2, avx, sse4_2, or unknown. */
    public String bestIsa() {
        if (has("avx512f") && has("avx512bw") && has("avx512vl") && has("avx512dq")) {
            return "avx512";
        }
        if (has("avx2") && has("fma")) {
            return "avx2";
        }
        if (has("avx")) {
            return "avx";
        }
        if (has("sse4_2")) {
            return "sse4_2";
        }
        return "unknown";
    }
}
