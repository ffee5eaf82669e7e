package dev.moefrontier.harness.sweep;

import com.google.gson.JsonObject;
import dev.moefrontier.harness.io.CheckpointException;
import dev.moefrontier.harness.model.MoeTransformer;
import dev.moefrontier.harness.util.Progress;
import dev.moefrontier.harness.util.Json;
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
        return sweep(plan, out, resume, false);
    }

    /**
     * As {@link #sweep(SweepPlan, Path, boolean)}; with {@code allowSpecChange}, a folder written by a different spec is
     * resumed: cells whose definition changed are rerun and cells the spec no longer has are moved to
     * {@code superseded/}.
     */
    public RunSummary sweep(SweepPlan plan, Path out, boolean resume, boolean allowSpecChange) throws IOException {
        RunDirectory run = prepare(plan, out, resume, allowSpecChange, log);
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

    /**
     * Creates the run folder and its manifest. Refuses a folder that is not empty unless resuming it, and refuses to
     * resume a folder written by a different spec unless {@code allowSpecChange}.
     */
    public static RunDirectory prepare(SweepPlan plan, Path out, boolean resume, boolean allowSpecChange, Consumer<String> log)
            throws IOException {
        checkUnused(out, resume, plan.spec().file());
        Files.createDirectories(out);
        RunDirectory run = new RunDirectory(out);
        RunManifest manifest = RunManifest.of(plan);
        Path old = out.resolve("manifest.json");
        if (resume && Files.isRegularFile(old)) {
            RunManifest before = RunManifest.read(old);
            List<String> changed = changedKeys(before.spec(), manifest.spec());
            if (!changed.isEmpty()) {
                if (!allowSpecChange) {
                    throw CheckpointException.of(out, "was written by a different spec (changed: " + String.join(", ", changed)
                            + "); pass --allow-spec-change to rerun the cells it changes and set the others aside, or use"
                            + " another --out");
                }
                log.accept("resuming " + out + " under a changed spec (" + String.join(", ", changed)
                        + "): cells whose definition changed are rerun, cells no longer in the spec move to superseded/");
            }
            setAside(run, manifest.cellFingerprints().keySet(), log);
        }
        Json.write(old, manifest);
        return run;
    }

    /** Moves cell folders that are not in {@code keep} ("backbone/cell id") to {@code superseded/<time>/}. */
    private static void setAside(RunDirectory run, java.util.Set<String> keep, Consumer<String> log) throws IOException {
        Path cells = run.root().resolve("cells");
        if (!Files.isDirectory(cells)) {
            return;
        }
        Path to = run.root().resolve("superseded").resolve(java.time.Instant.now().toString().replace(':', '-'));
        List<Path> stale;
        try (Stream<Path> s = Files.walk(cells, 2)) {
            stale = s.filter(p -> cells.relativize(p).getNameCount() == 2 && Files.isDirectory(p))
                    .filter(p -> !keep.contains(cells.relativize(p).toString().replace('\\', '/'))).sorted().toList();
        }
        for (Path p : stale) {
            Path dest = to.resolve(cells.relativize(p));
            Files.createDirectories(dest.getParent());
            Files.move(p, dest);
        }
        if (!stale.isEmpty()) {
            log.accept(stale.size() + " cell folder(s) of the earlier spec moved to " + to);
        }
    }

    /** Top-level keys of two spec objects whose values differ. */
    static List<String> changedKeys(JsonObject a, JsonObject b) {
        java.util.Set<String> keys = new java.util.TreeSet<>();
        if (a != null) {
            keys.addAll(a.keySet());
        }
        keys.addAll(b.keySet());
        List<String> out = new java.util.ArrayList<>();
        for (String k : keys) {
            if (a == null || !java.util.Objects.equals(a.get(k), b.get(k))) {
                out.add(k);
            }
        }
        return out;
    }

    /**
     * Refuses a folder that is not empty unless resuming it: an earlier run's cells would be mixed in, and unrelated
     * files would sit among the outputs. The spec file itself may be inside ({@code frontier demo} writes it there).
     */
    public static void checkUnused(Path out, boolean resume, Path specFile) throws IOException {
        if (resume || !Files.exists(out)) {
            return;
        }
        if (!Files.isDirectory(out)) {
            throw CheckpointException.of(out, "is a file; --out names a folder for the run");
        }
        Path spec = specFile == null ? null : specFile.toAbsolutePath().normalize();
        try (Stream<Path> s = Files.list(out)) {
            List<Path> other = s.filter(p -> spec == null || !p.toAbsolutePath().normalize().equals(spec)).sorted().limit(3).toList();
            if (!other.isEmpty()) {
                boolean run = Files.isDirectory(out.resolve("cells")) || Files.exists(out.resolve("manifest.json"));
                throw CheckpointException.of(out, run
                        ? "holds an earlier run: pass --resume to continue it, or another --out"
                        : "is not empty (" + other.stream().map(p -> p.getFileName().toString()).toList()
                                + "); give a new or empty folder as --out");
            }
        }
    }

}
