package dev.moefrontier.harness.cli;

import dev.moefrontier.harness.calib.Calibrator;
import dev.moefrontier.harness.sweep.SweepRunner;
import java.nio.file.Path;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Options of the commands that run sweep cells ({@code sweep}, {@code demo}, {@code run-cell}). */
final class SweepRunOptions {
    @Option(names = "--resume", description = "Continue a run in the same folder, keeping (skipping) finished cells whose"
            + " definition is unchanged; cells whose calibration, tasks, options, checkpoint or numerics changed are rerun.")
    boolean resume;

    @Option(names = "--allow-spec-change", description = "With --resume: accept a folder written by a different spec (cells"
            + " it changes are rerun, cells it no longer has move to superseded/). Without it such a resume is refused.")
    boolean allowSpecChange;

    @Option(names = "--cache", paramLabel = "DIR", description = "Calibration cache (default: $FRONTIER_CACHE or ~/.cache/moe-frontier).")
    Path cache;

    @Mixin
    RuntimeOptions runtime;

    /** A runner opening models with the runtime options and logging to standard error. */
    SweepRunner runner() {
        return new SweepRunner(runtime::open, cache != null ? cache : Calibrator.defaultCacheDir(), System.err::println);
    }
}
