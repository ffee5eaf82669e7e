package dev.moefrontier.harness.cli;

import dev.moefrontier.harness.sweep.RunSummary;
import dev.moefrontier.harness.sweep.SweepPlan;
import dev.moefrontier.harness.sweep.SweepRunner;
import dev.moefrontier.harness.sweep.SweepSpec;
import dev.moefrontier.harness.sweep.SweepValidator;
import dev.moefrontier.harness.util.AtomicFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code frontier demo}: the main job, the demo sweep on the embedded minis. */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run the main job on the embedded default: the demo sweep.",
            "",
            "Every registered compressor (with the HodgeCover ablations and X+Wanda hybrids) at five ratios from 0.25 to",
            "0.75 on the three embedded minis (olmoe-mini, qwen35-mini-a, qwen35-mini-b), scored on the mini task suite.",
            "The spec is scripts/sweeps/demo.yaml. Writes frontier.csv, table.md, hodge_balance.csv/.md,",
            "harmonic_energy.csv, claims.csv, scores.csv, per-cell results and plans, plots/ and report.html into --out."})
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--out", paramLabel = "DIR", description = "Run folder. Default: ${DEFAULT-VALUE}.", defaultValue = "runs/demo")
    Path out;

    @Mixin
    SweepRunOptions run;

    @Override
    public Integer call() throws Exception {
        SweepRunner.checkUnused(out, run.resume, out.resolve("demo.yaml"));
        Path spec = writeBundledSpec(out);
        SweepPlan plan = SweepValidator.validate(SweepSpec.load(spec));
        System.out.printf("MoE Frontier demo: %d compressors x %d ratios on %d minis (%d cells) -> %s%n",
                plan.spec().compressors().size(), plan.spec().ratios().size(), plan.groups().size(), plan.cellCount(), out);
        long t0 = System.nanoTime();
        RunSummary r = run.runner().sweep(plan, out, run.resume, run.allowSpecChange);
        SweepCommand.summarize(r, out);
        System.out.printf("demo finished in %.0f s; open %s%n", (System.nanoTime() - t0) / 1e9, out.resolve("report.html"));
        return 0;
    }

    /** The jar's copy of scripts/sweeps/demo.yaml, written into the run folder (so the run records what it ran). */
    static Path writeBundledSpec(Path out) throws IOException {
        try (InputStream in = DemoCommand.class.getResourceAsStream("/dev/moefrontier/sweeps/demo.yaml")) {
            if (in == null) {
                throw new IllegalStateException("the bundled demo spec is missing from the jar");
            }
            Path f = out.resolve("demo.yaml");
            Files.createDirectories(out);
            AtomicFiles.writeString(f, new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
            return f;
        }
    }
}
