package dev.moefrontier.harness.cli;

import dev.moefrontier.harness.sweep.SweepPlan;
import dev.moefrontier.harness.sweep.SweepRunner;
import dev.moefrontier.harness.sweep.SweepSpec;
import dev.moefrontier.harness.sweep.SweepValidator;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code frontier plan}. */
@Command(name = "plan", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Plan a sweep for a cluster scheduler, without running it.",
            "",
            "Writes into DIR: plan.json (the resolved spec), cells.jsonl (one cell group per line: a backbone with all its",
            "cells), slurm.sbatch (an array job, sbatch --array=0-(N-1)%%K) and job.yaml (a Kubernetes Indexed Job). Each task",
            "runs 'frontier run-cell --plan DIR --index I'; all write into DIR/run; then 'frontier collect DIR/run'."})
final class PlanCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "SPEC")
    Path spec;

    @Option(names = "--out", required = true, paramLabel = "DIR")
    Path out;

    @Option(names = "--parallel", defaultValue = "4", paramLabel = "K", description = "Groups running at once. Default: ${DEFAULT-VALUE}.")
    int parallel;

    @Option(names = "--frontier", defaultValue = "frontier", paramLabel = "CMD",
            description = "How workers invoke the CLI (e.g. /opt/moe-frontier/scripts/frontier). Default: ${DEFAULT-VALUE}.")
    String frontier;

    @Override
    public Integer call() throws Exception {
        if (parallel < 1) {
            throw new Main.UserError("--parallel must be positive");
        }
        SweepPlan plan = SweepValidator.validate(SweepSpec.load(spec));
        plan.write(out);
        SweepRunner.prepare(plan, out.resolve("run"), true, false, System.err::println);
        dev.moefrontier.harness.sweep.Schedulers.write(out, plan.groups().size(), parallel, frontier);
        System.out.printf("planned %s: %d groups, %d cells -> %s (plan.json, cells.jsonl, slurm.sbatch, job.yaml)%n", plan.spec().name(),
                plan.groups().size(), plan.cellCount(), out);
        System.out.printf("run with: sbatch %s   or   for i in $(seq 0 %d); do frontier run-cell --plan %s --index $i; done%n",
                out.resolve("slurm.sbatch"), plan.groups().size() - 1, out);
        System.out.println("then:     frontier collect " + out.resolve("run"));
        return 0;
    }
}
