package dev.moefrontier.harness.cli;

import dev.moefrontier.harness.sweep.RunSummary;
import dev.moefrontier.harness.sweep.SweepPlan;
import dev.moefrontier.harness.sweep.SweepSpec;
import dev.moefrontier.harness.sweep.SweepValidator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
            "table.md, the analyzers' tables (hodge_balance.csv/.md, harmonic_energy.csv, claims.csv: the paper's claims",
            "per backbone), scores.csv, cells/*/*/{result.json,pruning_plan.json}, plots/ and report.html.",
            "A compressor option given as a list is a grid: one cell per combination (options: {apply: [redirect, drop]})."})
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
        List<String> files = new java.util.ArrayList<>(List.of("frontier.csv", "table.md", "report.html"));
        try (java.util.stream.Stream<Path> s = Files.list(dir)) { // every other output: analyzers' tables and findings
            s.filter(Files::isRegularFile).map(p -> p.getFileName().toString())
                    .filter(n -> (n.endsWith(".csv") || n.endsWith(".md")) && !files.contains(n)).sorted().forEach(files::add);
        }
        System.out.println("wrote " + dir + ": " + String.join(", ", files) + (Files.isDirectory(dir.resolve("plots")) ? ", plots/" : "")
                + " (" + r.results().size() + " cells)");
    }
}
