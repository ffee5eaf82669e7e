package dev.moefrontier.harness.sweep;

import dev.moefrontier.harness.spi.GroupAnalyzer;
import com.google.gson.JsonObject;
import dev.moefrontier.harness.calib.CalibrationData;
import dev.moefrontier.harness.calib.CalibrationSpec;
import dev.moefrontier.harness.calib.Calibrator;
import dev.moefrontier.harness.spi.CalibrationStatistic;
import dev.moefrontier.harness.compress.Accounting;
import dev.moefrontier.harness.compress.AppliedPlan;
import dev.moefrontier.harness.compress.Budget;
import dev.moefrontier.harness.compress.CompressionContext;
import dev.moefrontier.harness.spi.Compressor;
import dev.moefrontier.harness.compress.CompressorCatalog;
import dev.moefrontier.harness.spi.ExpertScorer;
import dev.moefrontier.harness.compress.Options;
import dev.moefrontier.harness.compress.PlanFigures;
import dev.moefrontier.harness.compress.PruningPlan;
import dev.moefrontier.harness.compress.ScoreTable;
import dev.moefrontier.harness.eval.EvalContext;
import dev.moefrontier.harness.eval.Evaluation;
import dev.moefrontier.harness.spi.Evaluator;
import dev.moefrontier.harness.eval.LmEvalResults;
import dev.moefrontier.harness.eval.MetricValue;
import dev.moefrontier.harness.eval.Suite;
import dev.moefrontier.harness.io.Checkpoint;
import dev.moefrontier.harness.model.ModelPatch;
import dev.moefrontier.harness.model.MoeTransformer;
import dev.moefrontier.harness.spi.Registry;
import dev.moefrontier.harness.runtime.Numerics;
import dev.moefrontier.harness.util.Progress;
import dev.moefrontier.harness.util.Json;
import dev.moefrontier.harness.util.Provenance;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Runs one cell group: loads the backbone, calibrates once (statistics for every compressor of the group, cached on
 * disk), then for each cell plans, applies the plan as a patch on the loaded model, scores every task and writes the
 * cell's files. A failing cell is recorded with its error and the group goes on; with {@code resume}, finished cells
 * are skipped (and a group whose cells are all finished is not even loaded).
 */
public final class GroupRunner {
    private final SweepSpec spec;
    private final RunDirectory run;
    private final Function<Path, MoeTransformer> opener;
    private final Path cacheDir;
    private final boolean resume;
    private final Consumer<String> log;

    public GroupRunner(SweepSpec spec, RunDirectory run, Function<Path, MoeTransformer> opener, Path cacheDir, boolean resume,
            Consumer<String> log) {
        this.spec = spec;
        this.run = run;
        this.opener = opener;
        this.cacheDir = cacheDir;
        this.resume = resume;
        this.log = log;
    }

    /**
     * Outcome counts of a group.
     *
     * @param done cells run now
     * @param skipped cells already finished with their current definition
     * @param failed cells that failed (also when the backbone failed)
     * @param elsewhere cells left to another live worker that had claimed them
     */
    public record Outcome(int done, int skipped, int failed, int elsewhere) {}

    /**
     * Runs the group's cells that are not finished with their current definition. A cell finished under another
     * definition (its recorded {@link CellFingerprint} differs) is rerun, saying so; a cell claimed by another live
     * worker is left to it ({@link CellClaim}). When the backbone cannot be loaded or calibrated, every unfinished cell
     * records that error and the group counts as failed (the caller goes on with other groups).
     */
    public Outcome run(CellGroup g, Progress progress) throws IOException {
        return run(g, g.cells(), true, false, progress);
    }

    /**
     * A scheduler task of phase 2 ({@link ClusterPlan}): runs {@code cells} of the group (those not finished with their
     * current definition) and no analysis. A cell claimed by another worker is waited for until that worker finishes it
     * or its claim expires (a pre-empted predecessor of this very task), then taken over.
     */
    public Outcome runCells(CellGroup g, List<Cell> cells, Progress progress) throws IOException {
        return run(g, cells, false, true, progress);
    }

    /** The finishing task: the group's analyses over whatever cells are finished, running no cell. */
    public Outcome analyse(CellGroup g, Progress progress) throws IOException {
        return run(g, List.of(), true, false, progress);
    }

    /**
     * Phase 1, shared part: the group's calibration statistics except the per-layer ones, into the cache (one streamed
     * pass; nothing when cached already).
     */
    public void prepareShared(CellGroup g) {
        CompressorCatalog catalog = CompressorCatalog.load();
        try (MoeTransformer m = opener.apply(g.backbone().directory())) {
            calibrator().prepareShared(m, data(m, spec.calibration().seed()), neededStats(g, catalog));
        }
    }

    /** Phase 1, per-layer part: the group's per-layer statistics of MoE layers {@code layers}; returns those computed now. */
    public List<Integer> prepareLayers(CellGroup g, List<Integer> layers) {
        CompressorCatalog catalog = CompressorCatalog.load();
        try (MoeTransformer m = opener.apply(g.backbone().directory())) {
            return calibrator().prepareLayers(m, data(m, spec.calibration().seed()), neededStats(g, catalog), layers);
        }
    }

    /** The group's cells without a result of their current definition (none, or only of an older definition). */
    public List<Cell> unfinished(CellGroup g) {
        Map<Cell, String> fingerprints = fingerprints(g);
        return g.cells().stream().filter(c -> !fingerprints.get(c).equals(run.recordedFingerprint(c))).toList();
    }

    /** Every cell's current fingerprint. */
    private Map<Cell, String> fingerprints(CellGroup g) {
        String checkpoint;
        try (Checkpoint ck = Checkpoint.open(g.backbone().directory())) {
            checkpoint = ck.fingerprint();
        }
        CellFingerprint fp = new CellFingerprint(spec);
        Map<Cell, String> out = new LinkedHashMap<>();
        for (Cell c : g.cells()) {
            out.put(c, fp.of(c, checkpoint));
        }
        return out;
    }

    private Outcome run(CellGroup g, List<Cell> subset, boolean analyseAfter, boolean waitForClaims, Progress progress) throws IOException {
        Map<Cell, String> fingerprints;
        List<Cell> todo = new ArrayList<>();
        try {
            fingerprints = fingerprints(g);
        } catch (RuntimeException e) {
            return failGroup(g, subset, subset.size(), e, progress);
        }
        for (Cell c : subset) {
            String recorded = run.recordedFingerprint(c);
            if (resume && fingerprints.get(c).equals(recorded)) {
                progress.step(1);
            } else {
                if (resume && recorded != null) {
                    log.accept("cell " + c.backbone() + "/" + c.id() + ": its definition changed since it ran (calibration,"
                            + " tasks, options, checkpoint, numerics or code version); rerunning it");
                }
                todo.add(c);
            }
        }
        String groupKey = String.join(",", fingerprints.values()) + (spec.stabilityResamples() > 0
                ? "|stability-resamples=" + spec.stabilityResamples() : "");
        Path analysedMark = run.analysisDir(g.backbone().name()).resolve(".done");
        boolean analysed = Files.isRegularFile(analysedMark) && groupKey.equals(Files.readString(analysedMark));
        if (todo.isEmpty() && (analysed || !analyseAfter)) {
            return new Outcome(0, subset.size(), 0, 0);
        }
        CompressorCatalog catalog = CompressorCatalog.load();
        Registry<Evaluator> tasks = Suite.registry();
        int done = 0;
        int failed = 0;
        int elsewhere = 0;
        MoeTransformer m;
        CompressionContext ctx;
        try {
            m = opener.apply(g.backbone().directory());
        } catch (RuntimeException e) {
            return failGroup(g, todo, subset.size(), e, progress);
        }
        try (MoeTransformer model = m) {
            try {
                ctx = context(model, g, catalog);
            } catch (RuntimeException e) {
                return failGroup(g, todo, subset.size(), e, progress);
            }
            for (Cell c : todo) {
                progress.status(g.backbone().name() + " " + c.id());
                try (CellClaim claim = claim(c, fingerprints.get(c), waitForClaims)) {
                    if (claim == null && waitForClaims) {
                        progress.step(1); // another worker finished it while this one waited
                        continue;
                    }
                    if (claim == null) {
                        elsewhere++;
                        log.accept("cell " + c.backbone() + "/" + c.id() + " is being run by another worker; leaving it to it");
                        progress.step(1);
                        continue;
                    }
                    if (fingerprints.get(c).equals(run.recordedFingerprint(c))) {
                        progress.step(1); // another worker finished it meanwhile
                        continue;
                    }
                    run.clearResult(c); // a result of an older definition must not survive a failed rerun
                    try {
                        runCell(c, fingerprints.get(c), model, ctx, catalog, tasks);
                        done++;
                    } catch (IOException | RuntimeException e) {
                        failed++;
                        run.writeError(c, e);
                        log.accept("cell " + c.backbone() + "/" + c.id() + " failed: " + e.getMessage());
                    }
                }
                progress.step(1);
            }
            // The analyses read every cell's plan: run them once all cells are current (the last worker does).
            Map<Cell, PruningPlan> plans = new LinkedHashMap<>();
            boolean complete = true;
            for (Cell c : g.cells()) {
                if (!fingerprints.get(c).equals(run.recordedFingerprint(c))) {
                    complete = false;
                    continue;
                }
                PruningPlan p = readPlan(c);
                if (p != null) {
                    plans.put(c, p);
                }
            }
            if (analyseAfter && (complete || elsewhere == 0)) {
                analyse(g, ctx, plans, complete ? groupKey : "incomplete", complete ? catalog : null);
            }
        }
        return new Outcome(done, subset.size() - todo.size(), failed, elsewhere);
    }

    /**
     * The claim on cell {@code c}; null when another live worker holds it (without {@code wait}) or finished it while
     * this one waited (with {@code wait}: polled until the holder finishes or its claim expires, {@link CellClaim#LEASE}).
     */
    private CellClaim claim(Cell c, String fingerprint, boolean wait) throws IOException {
        CellClaim claim = CellClaim.tryClaim(run.cellDir(c));
        boolean said = false;
        while (claim == null && wait) {
            if (fingerprint.equals(run.recordedFingerprint(c))) {
                return null;
            }
            if (!said) {
                log.accept("cell " + c.backbone() + "/" + c.id() + " is claimed by another worker; waiting until it finishes or its"
                        + " claim expires (" + CellClaim.LEASE.toSeconds() + " s without a heartbeat)");
                said = true;
            }
            try {
                Thread.sleep(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted waiting for the claim on " + run.cellDir(c));
            }
            claim = CellClaim.tryClaim(run.cellDir(c));
        }
        return claim;
    }

    /** Records {@code e} as the error of every unfinished cell of a group whose backbone failed to load or calibrate. */
    private Outcome failGroup(CellGroup g, List<Cell> cells, int asked, RuntimeException e, Progress progress) throws IOException {
        String why = "backbone " + g.backbone().name() + " failed: " + e.getMessage();
        log.accept(why + " (" + cells.size() + " cell(s) recorded as failed; the other backbones go on)");
        RuntimeException recorded = new IllegalStateException(why, e);
        int failed = 0;
        for (Cell c : cells) {
            if (!run.done(c)) {
                run.writeError(c, recorded);
                failed++;
            }
            progress.step(1);
        }
        return new Outcome(0, asked - cells.size(), failed, 0);
    }

    /** Plan stability (see {@link PlanStability}): the plans again on fresh draws of the calibration windows. */
    private void stability(CellGroup g, MoeTransformer model, CompressorCatalog catalog, Map<Cell, PruningPlan> plans) throws IOException {
        PlanStability stability = new PlanStability(plans, catalog, model.config());
        for (int i = 1; i <= spec.stabilityResamples(); i++) { // one resample's statistics held at a time
            log.accept("stability: " + g.backbone().name() + " resample " + i + " of " + spec.stabilityResamples());
            stability.add(context(model, g, catalog, spec.calibration().seed() + i));
        }
        write(run.analysisDir(g.backbone().name()).resolve(PlanStability.FILE), stability.csv(g.backbone().name()));
    }

    /** Calibration windows and the union of the statistics the group's compressors need. */
    private CompressionContext context(MoeTransformer m, CellGroup g, CompressorCatalog catalog) {
        return context(m, g, catalog, spec.calibration().seed());
    }

    /** {@link #context} on the windows drawn with {@code calibrationSeed}. */
    private CompressionContext context(MoeTransformer m, CellGroup g, CompressorCatalog catalog, long calibrationSeed) {
        Calibrator cal = calibrator();
        CalibrationData data = data(m, calibrationSeed);
        return CompressionContext.builder().setModel(m).optCalibrator(cal).optData(data).optStats(cal.stats(m, data, neededStats(g, catalog)))
                .optSeed(spec.seed()).optLog(log).build();
    }

    /** The union of the statistics the group's compressors and the registered analyzers read. */
    public static Set<CalibrationStatistic> neededStats(CellGroup g, CompressorCatalog catalog) {
        Set<CalibrationStatistic> stats = new java.util.LinkedHashSet<>();
        for (Cell c : g.cells()) {
            if (!c.isDense()) {
                Compressor comp = catalog.get(c.compressor());
                stats.addAll(comp.statistics(Options.parse(comp.name(), comp.options(), c.options())));
            }
        }
        analyzers().forEach(a -> stats.addAll(a.statistics()));
        return stats;
    }

    private Calibrator calibrator() {
        return new Calibrator(cacheDir, 8192, log);
    }

    private CalibrationData data(MoeTransformer m, long calibrationSeed) {
        SweepSpec.Calibration cs = spec.calibration();
        return CalibrationData.load(new CalibrationSpec(cs.file(), cs.count(), cs.length(), calibrationSeed), m);
    }

    /** Plans (unless dense), evaluates and writes one cell; returns its plan (null when dense). */
    private PruningPlan runCell(Cell c, String fingerprint, MoeTransformer m, CompressionContext ctx, CompressorCatalog catalog,
            Registry<Evaluator> tasks) throws IOException {
        long t0 = System.nanoTime();
        Path dir = run.cellDir(c);
        Files.createDirectories(dir);
        PruningPlan plan = null;
        Accounting acc = null;
        AppliedPlan applied = null;
        try {
            ModelPatch patch = ModelPatch.NONE;
            String key = m.checkpoint().fingerprint();
            if (!c.isDense()) {
                Compressor comp = catalog.get(c.compressor());
                Options o = Options.parse(comp.name(), comp.options(), c.options());
                plan = comp.plan(ctx, c.ratio(), o);
                plan.validate(m.config());
                acc = Budget.account(m.config(), plan);
                write(dir.resolve("pruning_plan.json"), plan.toJsonString(m.config()));
                if (comp instanceof ExpertScorer s) {
                    writeScores(dir.resolve("scores.csv"), c, s, o, ctx);
                }
                applied = new AppliedPlan(m, plan);
                patch = applied;
                // Responses of a compressed model are keyed by what the patch is: the plan itself, the compressor's
                // version and the calibration its masks and merges come from (not by the cell's name).
                key = key + ":plan-" + sha256(plan.toJsonString(m.config())) + ":" + comp.name() + "@" + comp.version() + ":"
                        + ctx.data().spec().describe() + ":stats-v" + dev.moefrontier.harness.calib.CalibrationStats.VERSION;
            }
            double planSeconds = (System.nanoTime() - t0) / 1e9;
            List<Evaluation> evals = new ArrayList<>();
            for (SweepSpec.TaskEntry t : spec.tasks()) {
                Evaluator e = tasks.get(t.name());
                try (EvalContext ectx = EvalContext.builder().setModel(m).optPatch(patch, key).optLimit(t.limit())
                        .optBatchTokens(spec.batchTokens()).build()) {
                    evals.add(e.evaluate(ectx, e.locate(t.dataPath()), Options.parse(e.name(), e.options(), t.options())));
                }
            }
            double elapsed = (System.nanoTime() - t0) / 1e9;
            Map<String, String> headlines = new LinkedHashMap<>();
            evals.forEach(e -> headlines.put(e.task(), e.headline()));
            CellResult r = new CellResult(c, acc == null ? 0 : acc.expertRatio(), acc == null ? 0 : acc.compression(),
                    plan == null ? Map.of() : plan.info(),
                    plan == null ? PlanFigures.NONE : plan.figures(), metrics(evals), headlines, spec.seed(), spec.calibration().describe(), elapsed);
            JsonObject config = Json.tree(new LmEvalConfig("moe-frontier",
                    "pretrained=" + c.backbone() + (c.isDense() ? "" : ",compressor=" + c.compressor() + ",ratio=" + c.ratio()),
                    m.checkpoint().fingerprint(), spec.batchTokens(), 0)).getAsJsonObject();
            Map<String, String> prov = new LinkedHashMap<>(Provenance.withNumerics());
            prov.put("sweep", spec.name());
            prov.put("plan_seconds", String.format(java.util.Locale.ROOT, "%.3f", planSeconds));
            JsonObject out = LmEvalResults.render(evals, config, prov);
            JsonObject frontier = out.getAsJsonObject("frontier");
            frontier.add("cell_result", Json.tree(r.document()));
            frontier.addProperty(RunDirectory.FINGERPRINT, fingerprint);
            frontier.add("numerics", Numerics.environment().toJson());
            if (acc != null) {
                frontier.add("accounting", Json.tree(acc));
            }
            run.writeJson(dir.resolve("result.json"), out);
            Files.deleteIfExists(dir.resolve("error.json"));
            return plan;
        } finally {
            if (applied != null) {
                applied.close();
            }
        }
    }

    /** Every task's and subtask's metrics. */
    static List<CellResult.Metric> metrics(List<Evaluation> evals) {
        List<CellResult.Metric> out = new ArrayList<>();
        for (Evaluation e : evals) {
            add(e, out);
        }
        return out;
    }

    private static void add(Evaluation e, List<CellResult.Metric> out) {
        for (Map.Entry<String, MetricValue> m : e.metrics().entrySet()) {
            out.add(new CellResult.Metric(e.task(), m.getKey(), m.getValue().value(), m.getValue().stderr(), e.samples(),
                    m.getValue().higherIsBetter()));
        }
        e.subtasks().values().forEach(s -> add(s, out));
    }

    private static void writeScores(Path file, Cell c, ExpertScorer s, Options o, CompressionContext ctx) throws IOException {
        write(file, ScoreTable.HEADER + ScoreTable.rows(c.backbone(), s, o, s.scores(ctx, o), ctx.hasStats() ? ctx.stats() : null));
    }

    /** The {@code config} section of an lm-eval results file, as lm-eval names its keys. */
    record LmEvalConfig(String model, String modelArgs, String checkpointFingerprint, int batchTokens, int bootstrapIters) {}

    private PruningPlan readPlan(Cell c) {
        Path f = run.cellDir(c).resolve("pruning_plan.json");
        if (!Files.isRegularFile(f)) {
            return null;
        }
        try {
            return PruningPlan.read(f);
        } catch (IOException | RuntimeException e) {
            log.accept("cannot read " + f + ": " + e.getMessage());
            return null;
        }
    }

    /** Runs every registered analyzer for the backbone (once; marked done by {@code analysis/<backbone>/.done}). */
    private void analyse(CellGroup g, CompressionContext ctx, Map<Cell, PruningPlan> plans, String groupKey, CompressorCatalog catalog)
            throws IOException {
        Path dir = run.analysisDir(g.backbone().name());
        Files.createDirectories(dir);
        for (GroupAnalyzer a : analyzers()) {
            try {
                a.analyze(g.backbone().name(), ctx, plans, dir);
            } catch (IOException | RuntimeException e) {
                log.accept("analysis " + a.name() + " of " + g.backbone().name() + " failed: " + e.getMessage());
            }
        }
        if (catalog != null && spec.stabilityResamples() > 0 && !plans.isEmpty()) { // once every cell is current
            try {
                stability(g, ctx.model(), catalog, plans);
            } catch (RuntimeException e) {
                log.accept("plan stability of " + g.backbone().name() + " failed: " + e.getMessage());
            }
        }
        write(dir.resolve(".done"), groupKey);
    }

    /** The registered analyzers, by name. */
    static List<GroupAnalyzer> analyzers() {
        return Registry.load(GroupAnalyzer.class, "analyzer").all();
    }

    private static String sha256(String s) {
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(d).substring(0, 24);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Every file goes through a temporary name and a rename. */
    private static void write(Path f, String s) throws IOException {
        Files.createDirectories(f.toAbsolutePath().getParent());
        dev.moefrontier.harness.util.AtomicFiles.writeString(f, s);
    }
}
