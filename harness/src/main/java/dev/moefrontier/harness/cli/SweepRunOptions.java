package dev.moefrontier.harness.cli;

import dev.moefrontier.harness.calib.Calibrator;
import dev.moefrontier.harness.sweep.SweepRunner;
import java.nio.file.Path;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Options of the commands that run sweep cells ({@code sweep}, {@code demo}, {@code run-cell}). */
final class SweepRunOptions {
    @Option(names = "--resume", description = "Continue a run in the same folder, keeping (skipping) finished cells.")
    boolean resume;

    @Option(names = "--cache", paramLabel = "DIR", description = "Calibration cache (default: $FRONTIER_CACHE or ~/.cache/moe-frontier).")
    Path cache;

    @Mixin
    RuntimeOptions runtime;

    /** A runner opening models with the runtime options and logging to standard error. */
    SweepRunner runner() {
        return new SweepRunner(runtime::open, cache != null ? cache : Calibrator.defaultCacheDir(), System.err::println);
    }
}
