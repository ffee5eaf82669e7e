package dev.moefrontier.harness.cli;

import ai.djl.Device;
import dev.moefrontier.harness.compress.CompressorCatalog;
import dev.moefrontier.harness.compress.Options;
import dev.moefrontier.harness.eval.EvalContext;
import dev.moefrontier.harness.eval.Suite;
import dev.moefrontier.harness.model.Flops;
import dev.moefrontier.harness.model.ModelConfig;
import dev.moefrontier.harness.model.MoeTransformer;
import dev.moefrontier.harness.spi.CalibrationStatistic;
import dev.moefrontier.harness.spi.Compressor;
import dev.moefrontier.harness.spi.Evaluator;
import dev.moefrontier.harness.spi.Registry;
import dev.moefrontier.harness.sweep.Cell;
import dev.moefrontier.harness.sweep.CellGroup;
import dev.moefrontier.harness.sweep.ClusterPlan;
import dev.moefrontier.harness.sweep.SweepPlan;
import dev.moefrontier.harness.sweep.SweepSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * {@code frontier plan --estimate}: the FLOPs of every task of a {@link ClusterPlan}, counted from the configs, the
 * calibration and task tokens and what each statistic and compressor says it adds ({@link
 * CalibrationStatistic#estimatedFlops}, {@link Compressor#estimatedPlanFlops}, {@link Evaluator#estimatedTokens}), and
 * the hours they take on this machine (its float32 matmul throughput measured now, times an achieved fraction) and on
 * a named accelerator (its dense BF16 peak, times an achieved fraction), plus a fixed start-up per task and the
 * checkpoint read at an assumed disk speed. docs/methods.md §11 states the model and its assumptions.
 */
final class PlanEstimate {
    /** Dense BF16 peak TFLOP/s from the vendors' data sheets (no sparsity). */
    static final Map<String, Double> ACCELERATORS = Map.of("h100", 989.0, "h200", 989.0, "b200", 2250.0, "a100", 312.0, "l40s", 362.0,
            "a10g", 125.0, "mi300x", 1307.0);

    /** The assumptions of an estimate. */
    record Assumptions(String accelerator, double acceleratorEfficiency, double cpuEfficiency, double taskOverheadSeconds,
            double readGBps, int parallel) {}

    /**
     * One task's cost.
     *
     * @param cpuFlopsPerSecond the backbone's forward measured on this machine; 0 when not measured (the matmul rate
     *     times the CPU efficiency is used)
     */
    record TaskCost(ClusterPlan.Phase phase, int index, double flops, double bytesRead, double cpuFlopsPerSecond) {}

    /** A checkpoint up to this size has its forward timed on this machine for the estimate (larger: the matmul rate). */
    static final long MEASURE_MAX_BYTES = 8L << 30;

    /** The backbones' measured forward rates, for the estimate's header. */
    static final Map<String, Double> MEASURED = new java.util.LinkedHashMap<>();

    /**
     * FLOP/s of a forward (without the head) of a batch of windows of {@code len} tokens, about 4,096 tokens as the
     * calibration passes batch them (best of 3 after a warm-up): the small shapes of the minis run far below the 1024³
     * matmul rate, and this rate says so.
     */
    static double measureForward(MoeTransformer m, int len, int windows) {
        ModelConfig c = m.config();
        java.util.Random r = new java.util.Random(0);
        List<int[]> ids = new ArrayList<>();
        for (int w = 0; w < windows; w++) {
            ids.add(r.ints(len, 0, c.vocabSize()).toArray());
        }
        List<dev.moefrontier.harness.model.TokenBatch> batch = List.of(new dev.moefrontier.harness.model.TokenBatch(ids));
        double best = Double.MAX_VALUE;
        for (int i = 0; i < 4; i++) {
            long t0 = System.nanoTime();
            m.run(batch, dev.moefrontier.harness.model.ForwardObserver.NONE, (l, b, hidden) -> hidden.get(0).toFloatArray());
            if (i > 0) {
                best = Math.min(best, (System.nanoTime() - t0) / 1e9);
            }
        }
        return (double) windows * len * (Flops.forwardPerToken(c, len) - Flops.headPerToken(c)) / best;
    }

    /** Every task's FLOPs and bytes read. */
    static List<TaskCost> costs(SweepPlan plan, ClusterPlan tasks, Function<Path, MoeTransformer> opener) throws IOException {
        CompressorCatalog catalog = CompressorCatalog.load();
        Registry<Evaluator> evaluators = Suite.registry();
        SweepSpec spec = plan.spec();
        long tokens = (long) spec.calibration().count() * spec.calibration().length();
        int len = spec.calibration().length();
        Map<Integer, ModelConfig> configs = new java.util.HashMap<>();
        Map<Integer, Double> bytes = new java.util.HashMap<>();
        Map<Integer, Double> evalFlops = new java.util.HashMap<>();
        Map<Integer, Double> rates = new java.util.HashMap<>();
        MEASURED.clear();
        for (CellGroup g : plan.groups()) {
            ModelConfig c = ModelConfig.load(g.backbone().directory());
            configs.put(g.index(), c);
            bytes.put(g.index(), (double) checkpointBytes(g.backbone().directory()));
            double f = 0;
            try (MoeTransformer m = opener.apply(g.backbone().directory())) {
                if (bytes.get(g.index()) <= MEASURE_MAX_BYTES) {
                    int l = Math.min(len, c.maxPositions());
                    double r = measureForward(m, l, (int) Math.max(1, Math.min(spec.calibration().count(), 4096 / l)));
                    rates.put(g.index(), r);
                    MEASURED.put(g.backbone().name(), r);
                }
                for (SweepSpec.TaskEntry t : spec.tasks()) {
                    Evaluator e = evaluators.get(t.name());
                    try (EvalContext ctx = EvalContext.builder().setModel(m).optLimit(t.limit()).build()) {
                        long n = e.estimatedTokens(ctx, e.locate(t.dataPath()), Options.parse(e.name(), e.options(), t.options()));
                        if (n < 0) {
                            throw new Main.UserError("task '" + t.name() + "' cannot estimate its tokens (Evaluator.estimatedTokens)");
                        }
                        f += n * Flops.forwardPerToken(c, len);
                    }
                }
            }
            evalFlops.put(g.index(), f);
        }
        List<TaskCost> out = new ArrayList<>();
        for (ClusterPlan.Phase p : ClusterPlan.Phase.values()) {
            List<ClusterPlan.Task> list = tasks.tasks(p);
            for (int i = 0; i < list.size(); i++) {
                ClusterPlan.Task t = list.get(i);
                if (p == ClusterPlan.Phase.FINISH) {
                    out.add(new TaskCost(p, i, 0, bytes.values().stream().mapToDouble(Double::doubleValue).sum(), 0));
                    continue;
                }
                CellGroup g = plan.groups().get(t.group());
                ModelConfig c = configs.get(g.index());
                double f = 0;
                switch (p) {
                    case STATS -> {
                        f = tokens * Flops.forwardPerToken(c, len);
                        for (CalibrationStatistic s : statistics(g, catalog, false)) {
                            for (int l : c.moeLayers()) {
                                f += s.estimatedFlops(c, l, tokens, len);
                            }
                        }
                    }
                    case LAYERS -> {
                        int first = t.layers().get(0);
                        for (int l = 0; l < first; l++) {
                            f += tokens * Flops.layerPerToken(c, l, len); // the dense layers before the range
                        }
                        for (CalibrationStatistic s : statistics(g, catalog, true)) {
                            for (int l : t.layers()) {
                                f += s.estimatedFlops(c, l, tokens, len);
                            }
                        }
                    }
                    case CELLS -> {
                        for (int ci : t.cells()) {
                            Cell cell = g.cells().get(ci);
                            f += evalFlops.get(g.index());
                            if (!cell.isDense()) {
                                Compressor comp = catalog.get(cell.compressor());
                                f += comp.estimatedPlanFlops(c, cell.ratio(), Options.parse(comp.name(), comp.options(), cell.options()), tokens, len);
                            }
                        }
                    }
                    default -> throw new IllegalStateException();
                }
                out.add(new TaskCost(p, i, f, bytes.get(g.index()), rates.getOrDefault(g.index(), 0.0)));
            }
        }
        return out;
    }

    /** The group's statistics (with what they require), the per-layer ones or the others. */
    private static List<CalibrationStatistic> statistics(CellGroup g, CompressorCatalog catalog, boolean perLayer) {
        return dev.moefrontier.harness.calib.Calibrator.closure(dev.moefrontier.harness.sweep.GroupRunner.neededStats(g, catalog)).stream()
                .filter(s -> dev.moefrontier.harness.calib.Calibrator.isPerLayer(s) == perLayer).toList();
    }

    private static long checkpointBytes(Path dir) throws IOException {
        try (var s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".safetensors")).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    return 0;
                }
            }).sum();
        }
    }

    /** The estimate as a table, per phase and in total. */
    static String render(String name, List<TaskCost> costs, Assumptions a, double cpuGflops) {
        Double peak = ACCELERATORS.get(a.accelerator());
        if (peak == null) {
            throw new Main.UserError("--accelerator: unknown '" + a.accelerator() + "' (known: " + new java.util.TreeSet<>(ACCELERATORS.keySet()) + ")");
        }
        double cpu = cpuGflops * 1e9 * a.cpuEfficiency();
        double acc = peak * 1e12 * a.acceleratorEfficiency();
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "estimate of plan %s (%d tasks)%n", name, costs.size()));
        sb.append(String.format(Locale.ROOT, "  this machine: %.1f GFLOP/s float32 matmul measured now, %.0f%% of it assumed achieved where no forward was timed%n", cpuGflops,
                100 * a.cpuEfficiency()));
        MEASURED.forEach((b, r) -> sb.append(String.format(Locale.ROOT, "  %s: forward of a calibration batch measured at %.2f GFLOP/s"
                + " (used for its tasks on this machine)%n", b, r / 1e9)));
        sb.append(String.format(Locale.ROOT, "  %s: %.0f TFLOP/s dense BF16 peak, %.0f%% of it assumed achieved%n", a.accelerator(), peak,
                100 * a.acceleratorEfficiency()));
        sb.append(String.format(Locale.ROOT, "  per task: %.0f s start-up, checkpoint read at %.1f GB/s; wall time with %d tasks at once%n",
                a.taskOverheadSeconds(), a.readGBps(), a.parallel()));
        sb.append(String.format(Locale.ROOT, "%-8s %6s %14s %14s %12s %14s %12s%n", "phase", "tasks", "TFLOP", "cpu task-h", "cpu wall-h",
                a.accelerator() + " task-h", a.accelerator() + " wall-h"));
        double[] total = new double[5];
        Map<ClusterPlan.Phase, List<TaskCost>> by = new EnumMap<>(ClusterPlan.Phase.class);
        costs.forEach(c -> by.computeIfAbsent(c.phase(), k -> new ArrayList<>()).add(c));
        for (Map.Entry<ClusterPlan.Phase, List<TaskCost>> e : by.entrySet()) {
            double flops = e.getValue().stream().mapToDouble(TaskCost::flops).sum();
            double[] cpuS = e.getValue().stream().mapToDouble(c -> seconds(c, c.cpuFlopsPerSecond() > 0 ? c.cpuFlopsPerSecond() : cpu, a)).toArray();
            double[] accS = e.getValue().stream().mapToDouble(c -> seconds(c, acc, a)).toArray();
            double[] row = {flops, Arrays.stream(cpuS).sum(), wall(cpuS, a.parallel()), Arrays.stream(accS).sum(), wall(accS, a.parallel())};
            for (int i = 0; i < row.length; i++) {
                total[i] += row[i];
            }
            sb.append(line(e.getKey().id(), e.getValue().size(), row));
        }
        sb.append(line("total", costs.size(), total));
        return sb.toString();
    }

    private static String line(String phase, int tasks, double[] r) {
        return String.format(Locale.ROOT, "%-8s %6d %14.4g %14.4g %12.4g %14.4g %12.4g%n", phase, tasks, r[0] / 1e12, r[1] / 3600, r[2] / 3600,
                r[3] / 3600, r[4] / 3600);
    }

    /** One task's seconds at {@code flopsPerSecond}. */
    static double seconds(TaskCost c, double flopsPerSecond, Assumptions a) {
        return a.taskOverheadSeconds() + c.bytesRead() / (a.readGBps() * 1e9) + c.flops() / flopsPerSecond;
    }

    /** Wall time of tasks on {@code parallel} workers, longest first to the least loaded worker. */
    static double wall(double[] seconds, int parallel) {
        double[] s = seconds.clone();
        Arrays.sort(s);
        double[] load = new double[Math.max(1, Math.min(parallel, s.length))];
        for (int i = s.length - 1; i >= 0; i--) {
            int w = 0;
            for (int j = 1; j < load.length; j++) {
                if (load[j] < load[w]) {
                    w = j;
                }
            }
            load[w] += s[i];
        }
        return Arrays.stream(load).max().orElse(0);
    }

    /** This machine's float32 matmul throughput, measured now (best of 3 at 1024³). */
    static double measureCpu() {
        return FlopModel.matmulGflops(Device.cpu(), 1024, 3);
    }
}
