package dev.moefrontier.integration;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Child processes of the integration tests: bounded, offline, stdout and stderr together. */
final class Procs {
    private Procs() {}

    /** A finished command: its exit status (124 when it timed out) and its output. */
    record Proc(int status, String out) {}

    /** Runs {@code cmd} with extra environment variables, its output logged under {@code logDir}, at most {@code timeoutSeconds}. */
    static Proc exec(List<String> cmd, Map<String, String> env, int timeoutSeconds, Path logDir) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        pb.environment().put("DJL_OFFLINE", "true");
        pb.environment().put("OPT_OUT_TRACKING", "true");
        Path log = Files.createTempFile(logDir, "proc", ".log");
        pb.redirectOutput(log.toFile());
        Process p = pb.start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return new Proc(124, String.join(" ", cmd) + ": timed out after " + timeoutSeconds + " s\n" + Files.readString(log));
        }
        return new Proc(p.exitValue(), Files.readString(log));
    }
}
