package dev.moefrontier.harness.util;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/** Versions, git commit and machine facts recorded in every result file. */
public final class Provenance {
    private static volatile String git;

    private Provenance() {}

    /** MoE Frontier's version. */
    public static String version() {
        Properties p = new Properties();
        try (InputStream in = Provenance.class.getResourceAsStream("/dev/moefrontier/harness/version.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // fall through
        }
        return p.getProperty("version", "unknown");
    }

    /**
     * The git commit of the code that runs: {@code -Dfrontier.git} (set by scripts/frontier), else {@code git rev-parse}
     * in the working directory, with "-dirty" when there are uncommitted changes; "unknown" outside a checkout.
     */
    public static String gitCommit() {
        String g = git;
        if (g != null) {
            return g;
        }
        g = System.getProperty("frontier.git");
        if (g == null || g.isBlank()) {
            String head = run("git", "rev-parse", "HEAD");
            if (head == null) {
                g = "unknown";
            } else {
                String status = run("git", "status", "--porcelain", "--untracked-files=no");
                g = head + (status != null && !status.isBlank() ? "-dirty" : "");
            }
        }
        git = g;
        return g;
    }

    private static String run(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                return null;
            }
            return new String(out, StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** Version, git, Java, DJL, OS, host, time. */
    public static Map<String, String> basic() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("frontier_version", version());
        m.put("git_commit", gitCommit());
        m.put("java", System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")");
        m.put("djl", djlVersion());
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        m.put("cpus", Integer.toString(Runtime.getRuntime().availableProcessors()));
        m.put("host", host());
        m.put("time", Instant.now().toString());
        return m;
    }

    /**
     * {@link #basic()} plus the numeric environment libtorch runs with ({@code numerics.*}: mode, CPU, ATen capability,
     * MKL branch, threads, canary, ...); starts the engine if needed.
     */
    public static Map<String, String> withNumerics() {
        Map<String, String> m = basic();
        dev.moefrontier.harness.runtime.Numerics.environment().toMap()
                .forEach((k, v) -> m.put("numerics." + k, String.valueOf(v)));
        return m;
    }

    /** DJL's version, from its jar manifest. */
    public static String djlVersion() {
        String v = ai.djl.engine.Engine.class.getPackage().getImplementationVersion();
        return v != null ? v : "0.35.1";
    }

    private static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown";
        }
    }
}
