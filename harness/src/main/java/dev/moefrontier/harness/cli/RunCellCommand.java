package dev.moefrontier.harness.cli;

import dev.moefrontier.harness.sweep.GroupRunner;
import dev.moefrontier.harness.sweep.SweepPlan;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code frontier run-cell}. */
@Command(name = "run-cell", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run one cell group of a plan (a scheduler array task).",
            "Loads the group's backbone, calibrates once and runs its cells into the run folder (default PLAN/run). Safe",
            "to run many at once on one folder; with --resume, finished cells are skipped."})
final class RunCellCommand implements Callable<Integer> {
    @Option(names = "--plan", required = true, paramLabel = "DIR", description = "A folder written by 'frontier plan'.")
    Path plan;

    @Option(names = "--index", required = true, paramLabel = "I", description = "The group (line of cells.jsonl, from 0).")
    int index;

    @Option(names = "--run", paramLabel = "DIR", description = "Run folder (default: PLAN/run).")
    Path run;

    @Mixin
    SweepRunOptions options;

    @Override
    public Integer call() throws Exception {
        SweepPlan p = SweepPlan.read(plan);
        GroupRunner.Outcome o = options.runner().runGroup(p, index, run != null ? run : plan.resolve("run"), options.resume);
        System.out.printf("group %d: %d cells run, %d already done, %d failed, %d left to another worker%n", index, o.done(),
                o.skipped(), o.failed(), o.elsewhere());
        return o.failed() > 0 ? 1 : 0;
    }
}
