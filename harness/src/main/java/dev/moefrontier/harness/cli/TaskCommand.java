package dev.moefrontier.harness.cli;

import dev.moefrontier.harness.sweep.Cell;
import dev.moefrontier.harness.sweep.CellGroup;
import dev.moefrontier.harness.sweep.ClusterPlan;
import dev.moefrontier.harness.sweep.Collector;
import dev.moefrontier.harness.sweep.GroupRunner;
import dev.moefrontier.harness.sweep.RunDirectory;
import dev.moefrontier.harness.sweep.RunSummary;
import dev.moefrontier.harness.sweep.SweepPlan;
import dev.moefrontier.harness.util.Json;
import dev.moefrontier.harness.util.Progress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code frontier task}: one scheduler task of a plan (what the generated SLURM and Kubernetes jobs run). */
@Command(name = "task", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run one task of a plan's phase (what the jobs written by 'frontier plan' run).",
            "",
            "Phases, in order (tasks.json lists each phase's tasks):",
            "  stats   per backbone: the calibration statistics shared by all layers, into the cache",
            "  layers  per backbone and MoE layer range: the per-layer statistics (merge barriers), a cache file per layer",
            "  cells   per chunk of cells: plan, evaluate and write the cells into PLAN/run",
            "  finish  the backbones' analyses, then collect PLAN/run; exits 1 when a cell failed or is missing",
            "Every task can be run again (after a failure or pre-emption): the cache and the cells' fingerprints keep what",
            "is finished. Each task records its wall time in PLAN/tasks/PHASE-I.json."})
final class TaskCommand implements Callable<Integer> {
    @Option(names = "--plan", required = true, paramLabel = "DIR", description = "A folder written by 'frontier plan'.")
    Path plan;

    @Option(names = "--phase", required = true, paramLabel = "PHASE", description = "stats, layers, cells or finish.")
    String phase;

    @Option(names = "--index", defaultValue = "0", paramLabel = "I", description = "The task within the phase, from 0. Default: 0.")
    int index;

    @Option(names = "--cache", paramLabel = "DIR", description = "Calibration cache shared by the plan's tasks (default: PLAN/cache).")
    Path cache;

    @Mixin
    RuntimeOptions runtime;

    /** What {@code PLAN/tasks/PHASE-I.json} records. */
    record TaskRecord(String phase, int index, String host, String started, double seconds, int exitStatus, String detail) {}

    @Override
    public Integer call() throws Exception {
        ClusterPlan.Phase p;
        try {
            p = ClusterPlan.Phase.of(phase);
        } catch (IllegalArgumentException e) {
            throw new Main.UserError("--phase: " + e.getMessage());
        }
        SweepPlan sp = SweepPlan.read(plan);
        ClusterPlan tasks = ClusterPlan.read(plan);
        List<ClusterPlan.Task> list = tasks.tasks(p);
        if (index < 0 || index >= list.size()) {
            throw new Main.UserError("--index " + index + " is outside phase " + p.id() + "'s tasks 0.." + (list.size() - 1) + " ("
                    + plan.resolve(ClusterPlan.FILE) + ")");
        }
        ClusterPlan.Task t = list.get(index);
        Path runDir = plan.resolve("run");
        GroupRunner runner = new GroupRunner(sp.spec(), new RunDirectory(runDir), runtime::open, cache != null ? cache : plan.resolve("cache"),
                true, System.err::println);
        java.time.Instant started = java.time.Instant.now();
        long t0 = System.nanoTime();
        int status = 1;
        String detail = "";
        try {
            switch (p) {
                case STATS -> {
                    CellGroup g = sp.groups().get(t.group());
                    runner.prepareShared(g);
                    detail = g.backbone().name() + ": shared statistics cached";
                    status = 0;
                }
                case LAYERS -> {
                    CellGroup g = sp.groups().get(t.group());
                    List<Integer> now = runner.prepareLayers(g, t.layers());
                    detail = g.backbone().name() + " MoE layers " + t.layers() + ": computed " + now + ", the others were cached";
                    status = 0;
                }
                case CELLS -> {
                    CellGroup g = sp.groups().get(t.group());
                    List<Cell> cells = new ArrayList<>();
                    t.cells().forEach(i -> cells.add(g.cells().get(i)));
                    GroupRunner.Outcome o;
                    try (Progress pr = Progress.start("task " + index + " (" + g.backbone().name() + ")", cells.size(), "cells")) {
                        o = runner.runCells(g, cells, pr);
                    }
                    detail = String.format("%s: %d cells run, %d already done, %d failed", g.backbone().name(), o.done(), o.skipped(), o.failed());
                    status = o.failed() > 0 ? 1 : 0;
                }
                case FINISH -> {
                    for (CellGroup g : sp.groups()) {
                        try (Progress pr = Progress.start("analyses (" + g.backbone().name() + ")", 0, "cells")) {
                            runner.analyse(g, pr);
                        }
                    }
                    RunDirectory run = new RunDirectory(runDir);
                    RunSummary r = Collector.collect(run, sp.spec().name(), System.err::println);
                    SweepCommand.summarize(r, runDir);
                    List<String> missing = new ArrayList<>();
                    List<String> failed = new ArrayList<>();
                    for (CellGroup g : sp.groups()) {
                        for (Cell c : runner.unfinished(g)) { // a result of an older definition counts as missing
                            (Files.isRegularFile(run.cellDir(c).resolve("error.json")) ? failed : missing).add(c.backbone() + "/" + c.id());
                        }
                    }
                    detail = String.format("collected %d of %d cells; failed %s; missing %s", sp.cellCount() - failed.size() - missing.size(),
                            sp.cellCount(), failed, missing);
                    if (!failed.isEmpty() || !missing.isEmpty()) {
                        System.err.println("plan " + sp.spec().name() + " is not complete: " + failed.size() + " cell(s) failed " + failed
                                + ", " + missing.size() + " never ran (or only under an older definition) " + missing + " (their error.json and the logs in " + plan.resolve("logs")
                                + " say why; resubmit " + plan.resolve("submit.sh") + " to run what is left)");
                    }
                    status = failed.isEmpty() && missing.isEmpty() ? 0 : 1;
                }
            }
            System.out.println("task " + p.id() + " " + index + ": " + detail);
            return status;
        } catch (RuntimeException | java.io.IOException e) {
            detail = String.valueOf(e.getMessage());
            throw e;
        } finally {
            double secs = (System.nanoTime() - t0) / 1e9;
            Path rec = plan.resolve("tasks").resolve(p.id() + "-" + index + ".json");
            try {
                Files.createDirectories(rec.getParent());
                Json.write(rec, new TaskRecord(p.id(), index, java.net.InetAddress.getLocalHost().getHostName(), started.toString(), secs,
                        status, detail));
            } catch (java.io.IOException | RuntimeException e) {
                System.err.println("cannot write " + rec + ": " + e.getMessage());
            }
        }
    }
}
