package dev.moefrontier.harness.sweep;

import com.google.gson.JsonObject;
import dev.moefrontier.harness.eval.Evaluator;
import dev.moefrontier.harness.eval.Suite;
import dev.moefrontier.harness.io.Checkpoint;
import dev.moefrontier.harness.io.CheckpointException;
import dev.moefrontier.harness.model.MoeTransformer;
import dev.moefrontier.harness.runtime.Numerics;
import dev.moefrontier.harness.util.Checksums;
import dev.moefrontier.harness.util.Progress;
import dev.moefrontier.harness.util.Provenance;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Stream;

/** Runs plans into run folders: a whole sweep ({@code frontier sweep}, {@code demo}) or one group ({@code run-cell}). */
public final class SweepRunner {
    private final Function<Path, MoeTransformer> opener;
    private final Path cacheDir;
    private final Consumer<String> log;

    public SweepRunner(Function<Path, MoeTransformer> opener, Path cacheDir, Consumer<String> log) {
        this.opener = opener;
        this.cacheDir = cacheDir;
        this.log = log;
    }

    /** Runs every group of {@code plan} into {@code out}, then collects; with {@code resume}, finished cells are kept. */
    public RunSummary sweep(SweepPlan plan, Path out, boolean resume) throws IOException {
        RunDirectory run = prepare(plan, out, resume);
        int failed = 0;
        try (Progress p = Progress.start("sweep " + plan.spec().name(), plan.cellCount(), "cells")) {
            GroupRunner g = new GroupRunner(plan.spec(), run, opener, cacheDir, resume, log);
            for (CellGroup grp : plan.groups()) {
                failed += g.run(grp, p).failed();
            }
        }
        RunSummary s = Collector.collect(run, plan.spec().name(), log);
        if (failed > 0) {
            log.accept(failed + " cell(s) failed: see error.json in their folders and the report");
        }
        return s;
    }

    /** Runs group {@code index} of a plan into {@code out} (the worker of a scheduler array). */
    public GroupRunner.Outcome runGroup(SweepPlan plan, int index, Path out, boolean resume) throws IOException {
        if (index < 0 || index >= plan.groups().size()) {
            throw new IllegalArgumentException("--index " + index + " is outside the plan's groups 0.." + (plan.groups().size() - 1));
        }
        CellGroup g = plan.groups().get(index);
        RunDirectory run = new RunDirectory(out);
        try (Progress p = Progress.start("group " + index + " (" + g.backbone().name() + ")", g.cells().size(), "cells")) {
            return new GroupRunner(plan.spec(), run, opener, cacheDir, resume, log).run(g, p);
        }
    }

    /** Creates the run folder and its manifest; refuses to mix with an earlier run unless resuming. */
    public static RunDirectory prepare(SweepPlan plan, Path out, boolean resume) throws IOException {
        checkUnused(out, resume);
        Files.createDirectories(out);
        RunDirectory run = new RunDirectory(out);
        run.writeJson(out.resolve("manifest.json"), manifest(plan));
        return run;
    }

    /** Refuses a folder that holds an earlier run's cells, unless resuming it. */
    public static void checkUnused(Path out, boolean resume) throws IOException {
        if (!resume && Files.isDirectory(out.resolve("cells"))) {
            try (Stream<Path> s = Files.list(out.resolve("cells"))) {
                if (s.findAny().isPresent()) {
                    throw CheckpointException.of(out, "holds an earlier run: pass --resume to continue it, or another --out");
                }
            }
        }
    }

    /** Provenance: versions, git commit, machine, the resolved spec, seeds, checkpoint and data checksums. */
    static JsonObject manifest(SweepPlan plan) {
        JsonObject m = new JsonObject();
        JsonObject prov = new JsonObject();
        Provenance.basic().forEach(prov::addProperty);
        m.add("provenance", prov);
        m.add("numerics", Numerics.environment().toJson());
        m.add("spec", SweepPlan.specJson(plan.spec()));
        m.addProperty("cells", plan.cellCount());
        m.addProperty("groups", plan.groups().size());
        JsonObject ckpt = new JsonObject();
        for (SweepSpec.Backbone b : plan.spec().backbones()) {
            try (Checkpoint c = Checkpoint.open(b.directory())) {
                ckpt.addProperty(b.name(), c.fingerprint());
            }
        }
        m.add("checkpoints", ckpt);
        JsonObject data = new JsonObject();
        data.addProperty("calibration", Checksums.sha256(List.of(plan.spec().calibration().file())));
        for (SweepSpec.TaskEntry t : plan.spec().tasks()) {
            Evaluator e = Suite.registry().get(t.name());
            data.addProperty(t.name(), Checksums.sha256(e.locate(t.dataPath())));
        }
        m.add("data_sha256", data);
        JsonObject seeds = new JsonObject();
        seeds.addProperty("compressors", plan.spec().seed());
        seeds.addProperty("calibration", plan.spec().calibration().seed());
        m.add("seeds", seeds);
        return m;
    }

}
