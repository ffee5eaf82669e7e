package dev.moefrontier.harness.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the {@code frontier} CLI in a fresh JVM with a chosen environment: what a user's shell (or another machine,
 * through {@code ATEN_CPU_CAPABILITY} and friends) would give it. The variables of the reproducible numerics that the
 * test JVM itself runs under are removed first, so the child starts from a plain environment plus {@code env}.
 */
public final class ChildJvm {
    /** The variables the build sets for the test JVM (pom.xml, surefire). */
    public static final List<String> NUMERIC_VARIABLES = List.of("FRONTIER_NUMERICS", "ATEN_CPU_CAPABILITY", "MKL_CBWR", "MKL_DYNAMIC",
            "MKL_NUM_THREADS", "OMP_NUM_THREADS", "ONEDNN_MAX_CPU_ISA", "ONEDNN_DEFAULT_FPMATH_MODE", "MKL_ENABLE_INSTRUCTIONS");

    /** Exit status and combined output. */
    public record Result(int status, String out) {}

    private ChildJvm() {}

    /** {@code frontier ARGS} in a new JVM with {@code env} on top of a plain environment; fails after {@code timeoutS}. */
    public static Result frontier(Map<String, String> env, long timeoutS, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g", "-cp",
                System.getProperty("java.class.path"), "dev.moefrontier.harness.cli.Main"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        NUMERIC_VARIABLES.forEach(pb.environment()::remove);
        pb.environment().put("DJL_OFFLINE", "true");
        pb.environment().put("OPT_OUT_TRACKING", "true");
        pb.environment().putAll(env);
        Path log = Files.createTempFile("frontier-child", ".log");
        try {
            pb.redirectErrorStream(true).redirectOutput(log.toFile());
            Process p = pb.start();
            if (!p.waitFor(timeoutS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("frontier " + String.join(" ", args) + " did not finish in " + timeoutS + " s:\n"
                        + Files.readString(log, StandardCharsets.UTF_8));
            }
            return new Result(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
