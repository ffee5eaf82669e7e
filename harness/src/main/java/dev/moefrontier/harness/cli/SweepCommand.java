package dev.moefrontier.harness.cli;

import dev.moefrontier.harness.sweep.RunSummary;
import dev.moefrontier.harness.sweep.SweepPlan;
import dev.moefrontier.harness.sweep.SweepSpec;
import dev.moefrontier.harness.sweep.SweepValidator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code frontier sweep}. */
@Command(name = "sweep", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run a sweep: every backbone x compressor x ratio, scored on every task.",
            "",
            "SPEC is YAML (see scripts/sweeps/demo.yaml, commented). The spec is checked completely before any work.",
            "Each backbone is loaded and calibrated once; every cell writes its own files atomically, a failing cell is",
            "recorded and the sweep goes on, and --resume skips finished cells. Outputs in the run folder: frontier.csv,",
            "table.md, hodge_balance.csv/.md, harmonic_energy.csv, scores.csv, cells/*/*/{result.json,pruning_plan.json},",
            "plots/ and report.html."})
final class SweepCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "SPEC")
    Path spec;

    @Option(names = "--out", paramLabel = "DIR", description = "Run folder (default: runs/<spec name>).")
    Path out;

    @Mixin
    SweepRunOptions run;

    @Override
    public Integer call() throws Exception {
        SweepSpec s = SweepSpec.load(spec);
        SweepPlan plan = SweepValidator.validate(s);
        Path dir = out != null ? out : Path.of("runs", s.name());
        System.out.printf("sweep %s: %d backbones, %d cells -> %s%n", s.name(), plan.groups().size(), plan.cellCount(), dir);
        RunSummary r = run.runner().sweep(plan, dir, run.resume, run.allowSpecChange);
        summarize(r, dir);
        return 0;
    }

    static void summarize(RunSummary r, Path dir) throws java.io.IOException {
        System.out.println();
        System.out.print(Files.readString(dir.resolve("table.md")));
        System.out.println();
        System.out.println("wrote " + dir + ": frontier.csv, table.md, report.html"
                + (Files.exists(dir.resolve("hodge_balance.csv")) ? ", hodge_balance.csv, hodge_balance.md, harmonic_energy.csv" : "")
                + (Files.exists(dir.resolve("scores.csv")) ? ", scores.csv" : "") + (Files.isDirectory(dir.resolve("plots")) ? ", plots/" : "")
                + " (" + r.results().size() + " cells)");
    }
}
