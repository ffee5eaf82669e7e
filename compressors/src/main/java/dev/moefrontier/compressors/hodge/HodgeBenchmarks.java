package dev.moefrontier.compressors.hodge;

import dev.moefrontier.harness.calib.CalibrationData;
import dev.moefrontier.harness.calib.CalibrationSpec;
import dev.moefrontier.harness.calib.CalibrationStats;
import dev.moefrontier.harness.calib.Calibrator;
import dev.moefrontier.harness.calib.RoutingStatistics;
import dev.moefrontier.harness.model.ModelPatch;
import dev.moefrontier.harness.model.MoeTransformer;
import dev.moefrontier.harness.model.SyntheticCheckpoint;
import dev.moefrontier.harness.util.Progress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code frontier bench hodge} and {@code frontier bench barriers}. */
public final class HodgeBenchmarks {
    private HodgeBenchmarks() {}

    /**
     * Structured random barriers: clusters of cheap merges among expensive ones, and a full candidate set of up to
     * {@code cap} triangles (shared with the JMH benchmarks).
     */
    public static HodgeInput synthetic(int n, int cap, long seed) {
        Random r = new Random(seed);
        double[][] b = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                b[i][j] = b[j][i] = (i % 7 == j % 7) ? 0.02 + 0.05 * r.nextDouble() : 0.05 + r.nextDouble();
            }
        }
        int[][] cands = Candidates.triangles(b, cap, seed);
        double[] tb = new double[cands.length];
        for (int f = 0; f < tb.length; f++) {
            int[] t = cands[f];
            tb[f] = Math.max(Math.max(b[t[0]][t[1]], b[t[0]][t[2]]), b[t[1]][t[2]]) * (1 + 2 * r.nextDouble());
        }
        double[] sal = new double[n];
        for (int i = 0; i < n; i++) {
            sal[i] = r.nextDouble();
        }
        return new HodgeInput(b, cands, tb, sal, n / 3);
    }

    /** {@code frontier bench hodge}. */
    @Command(name = "hodge", mixinStandardHelpOptions = true,
            description = {"Time of HodgeCover's selection (methods.md 4.5-4.8) per layer on synthetic barriers.",
                "n = 64 and 256 experts with 500 candidate triangles (target: well under a second per layer)."})
    static final class Hodge implements Callable<Integer> {
        @Option(names = "--reps", defaultValue = "5", description = "Timed runs (median reported). Default: ${DEFAULT-VALUE}.")
        int reps;

        @Override
        public Integer call() {
            for (int n : new int[] {64, 256}) {
                HodgeInput in = synthetic(n, 500, 1);
                HodgeCover.run(in, HodgeParams.defaults()); // warm-up
                double[] t = new double[reps];
                HodgeResult r = null;
                for (int i = 0; i < reps; i++) {
                    long t0 = System.nanoTime();
                    r = HodgeCover.run(in, HodgeParams.defaults());
                    t[i] = (System.nanoTime() - t0) / 1e9;
                }
                java.util.Arrays.sort(t);
                System.out.printf("hodge        n=%d, %d candidates: K has %d edges, %d faces, beta1=%d: %.3f s per layer (median of %d)%n",
                        n, in.candidates().length, r.edges().length, r.faces().length, r.filtration().betti1(), t[reps / 2], reps);
            }
            return 0;
        }
    }

    /** {@code frontier bench barriers}. */
    @Command(name = "barriers", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Merge-barrier throughput (merges/s) on a synthetic OLMoE-shaped layer stack, full and local mode."})
    static final class Barriers implements Callable<Integer> {
        @Option(names = "--model", paramLabel = "DIR",
                description = "Time an existing checkpoint instead of a synthesized one (the shape options are then ignored).")
        Path model;

        @Option(names = "--calibration", paramLabel = "FILE",
                description = "Token ids (.json {\"input_ids\": [[...]]}) for --model (default: random windows of 128 tokens).")
        Path calibration;

        @Option(names = "--layer", defaultValue = "0", description = "MoE layer whose merges are timed. Default: ${DEFAULT-VALUE}.")
        int layer;

        @Option(names = "--layers", defaultValue = "4", description = "Default: ${DEFAULT-VALUE}.")
        int layers;

        @Option(names = "--hidden", defaultValue = "256", description = "Default: ${DEFAULT-VALUE}.")
        int hidden;

        @Option(names = "--experts", defaultValue = "64", description = "Default: ${DEFAULT-VALUE}.")
        int experts;

        @Option(names = "--intermediate", defaultValue = "128", description = "Default: ${DEFAULT-VALUE}.")
        int intermediate;

        @Option(names = "--tokens", defaultValue = "1024", description = "Calibration tokens (random windows of 128). Default: ${DEFAULT-VALUE}.")
        int tokens;

        @Option(names = "--full-merges", defaultValue = "64", description = "Pairs timed in full mode. Default: ${DEFAULT-VALUE}.")
        int fullMerges;

        @Option(names = "--local-merges", defaultValue = "0", description = "Pairs timed in local mode (0 = all). Default: ${DEFAULT-VALUE}.")
        int localMerges;

        @Option(names = "--vocab", defaultValue = "1024", description = "Vocabulary size. Default: ${DEFAULT-VALUE}.")
        int vocab;

        @Option(names = "--barrier-memory", defaultValue = "0", paramLabel = "MB",
                description = "Memory budget of the barrier computation in MiB (0 = half the memory available). Default: ${DEFAULT-VALUE}.")
        long memoryMb;

        @Option(names = "--modes", defaultValue = "full,local", split = ",", description = "Modes to time. Default: ${DEFAULT-VALUE}.")
        List<String> modes;

        @picocli.CommandLine.Mixin
        dev.moefrontier.harness.cli.RuntimeOptions runtime;

        @Override
        public Integer call() throws IOException {
            Progress.quiet(true);
            Path tmp = Files.createTempDirectory("frontier-barriers");
            try {
                Path dir = model;
                if (dir == null) {
                    dir = tmp.resolve("olmoe");
                    SyntheticCheckpoint.of("olmoe").layers(layers).hidden(hidden).heads(8, 8, hidden / 8)
                            .experts(experts, 8, intermediate).vocab(vocab).seed(4).write(dir);
                }
                try (MoeTransformer m = runtime.open(dir)) {
                    var c = m.config();
                    if (!c.moeLayers().contains(layer)) {
                        throw new IllegalArgumentException("--layer " + layer + " is not a MoE layer (MoE layers: " + c.moeLayers() + ")");
                    }
                    Path ids = calibration;
                    if (ids == null) {
                        ids = dev.moefrontier.harness.cli.BenchCommand.randomIds(tmp.resolve("ids.json"), Math.max(1, tokens / 128), 128, c.vocabSize(), 0);
                    }
                    CalibrationData d = CalibrationData.load(CalibrationSpec.tokenIds(ids), m);
                    CalibrationStats st = new Calibrator(null, 4096, x -> { }).collect(m, d, java.util.List.of(RoutingStatistics.ROUTING), ModelPatch.NONE);
                    int e = c.moe().numExperts();
                    List<int[]> pairs = new ArrayList<>();
                    for (int i = 0; i < e; i++) {
                        for (int j = i + 1; j < e; j++) {
                            pairs.add(new int[] {i, j});
                        }
                    }
                    java.util.Collections.shuffle(pairs, new Random(1)); // a sample of pairs spread over all experts
                    double roof = dev.moefrontier.harness.cli.FlopModel.matmulGflops(runtime.device(), 2048, 5);
                    long positions = d.windows().stream().mapToLong(w -> w.length).sum();
                    dev.moefrontier.harness.util.RunMetrics.add("roofline_gflops", roof);
                    for (String name : modes) {
                        MergeBarriers.Mode mode = MergeBarriers.Mode.valueOf(name.trim().toUpperCase(java.util.Locale.ROOT));
                        int cap = mode == MergeBarriers.Mode.FULL ? fullMerges : localMerges > 0 ? localMerges : pairs.size();
                        List<int[]> merges = new ArrayList<>(pairs.subList(0, Math.min(cap, pairs.size())));
                        merges.sort(java.util.Comparator.<int[]>comparingInt(x -> x[0]).thenComparingInt(x -> x[1]));
                        try (MergeBarriers mb = new MergeBarriers(m, st, d.windows(), mode, 4096, memoryMb << 20)) {
                            long t0 = System.nanoTime();
                            mb.compute(layer, merges, "bench");
                            double secs = (System.nanoTime() - t0) / 1e9;
                            double share = mb.flopBound() / secs / (roof * 1e9);
                            System.out.printf("barriers     %-5s layer %d of %d, %d experts (H=%d, I=%d, V=%d), %d tokens: %d merges in %.2f s = %.3g"
                                    + " merges/s; %.1f%% of the FLOP bound at the %.1f GFLOP/s matmul roofline; %s%n", mode, layer, c.numLayers(), e,
                                    c.hiddenSize(), c.moe().intermediate(), c.vocabSize(), positions, merges.size(), secs, merges.size() / secs,
                                    100 * share, roof, mb.report());
                            String key = mode.name().toLowerCase(java.util.Locale.ROOT);
                            dev.moefrontier.harness.util.RunMetrics.add(key + "_merges", merges.size());
                            dev.moefrontier.harness.util.RunMetrics.add(key + "_s", secs);
                            dev.moefrontier.harness.util.RunMetrics.add(key + "_flop_bound", mb.flopBound());
                        }
                    }
                }
            } finally {
                try (var s = Files.walk(tmp)) {
                    s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
            return 0;
        }
    }
}
