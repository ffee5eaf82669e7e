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
        @Option(names = "--layers", defaultValue = "4", description = "Default: ${DEFAULT-VALUE}.")
        int layers;

        @Option(names = "--hidden", defaultValue = "256", description = "Default: ${DEFAULT-VALUE}.")
        int hidden;

        @Option(names = "--experts", defaultValue = "64", description = "Default: ${DEFAULT-VALUE}.")
        int experts;

        @Option(names = "--intermediate", defaultValue = "128", description = "Default: ${DEFAULT-VALUE}.")
        int intermediate;

        @Option(names = "--tokens", defaultValue = "1024", description = "Calibration tokens. Default: ${DEFAULT-VALUE}.")
        int tokens;

        @Option(names = "--full-merges", defaultValue = "64", description = "Pairs timed in full mode. Default: ${DEFAULT-VALUE}.")
        int fullMerges;

        @Option(names = "--vocab", defaultValue = "1024", description = "Vocabulary size. Default: ${DEFAULT-VALUE}.")
        int vocab;

        @Option(names = "--barrier-memory", defaultValue = "0", paramLabel = "MB",
                description = "Memory budget of the barrier computation in MiB (0 = half the memory available). Default: ${DEFAULT-VALUE}.")
        long memoryMb;

        @Option(names = "--modes", defaultValue = "full,local", split = ",", description = "Modes to time. Default: ${DEFAULT-VALUE}.")
        List<String> modes;

        @Override
        public Integer call() throws IOException {
            Progress.quiet(true);
            Path tmp = Files.createTempDirectory("frontier-barriers");
            try {
                Path dir = tmp.resolve("olmoe");
                SyntheticCheckpoint.of("olmoe").layers(layers).hidden(hidden).heads(8, 8, hidden / 8)
                        .experts(experts, 8, intermediate).vocab(vocab).seed(4).write(dir);
                Random r = new Random(0);
                StringBuilder sb = new StringBuilder("{\"input_ids\": [");
                int windows = Math.max(1, tokens / 128);
                for (int s = 0; s < windows; s++) {
                    sb.append(s == 0 ? "" : ",").append(java.util.Arrays.toString(r.ints(128, 0, vocab).toArray()));
                }
                Path ids = tmp.resolve("ids.json");
                Files.writeString(ids, sb.append("]}").toString());
                try (MoeTransformer m = MoeTransformer.open(dir)) {
                    CalibrationData d = CalibrationData.load(CalibrationSpec.tokenIds(ids), m);
                    CalibrationStats st = new Calibrator(null, 4096, x -> { }).collect(m, d, java.util.List.of(RoutingStatistics.ROUTING), ModelPatch.NONE);
                    List<int[]> pairs = new ArrayList<>();
                    for (int i = 0; i < experts; i++) {
                        for (int j = i + 1; j < experts; j++) {
                            pairs.add(new int[] {i, j});
                        }
                    }
                    for (String name : modes) {
                        MergeBarriers.Mode mode = MergeBarriers.Mode.valueOf(name.trim().toUpperCase(java.util.Locale.ROOT));
                        List<int[]> merges = mode == MergeBarriers.Mode.FULL ? pairs.subList(0, Math.min(fullMerges, pairs.size())) : pairs;
                        try (MergeBarriers mb = new MergeBarriers(m, st, d.windows(), mode, 4096, memoryMb << 20)) {
                            long t0 = System.nanoTime();
                            mb.compute(0, merges, "bench");
                            double secs = (System.nanoTime() - t0) / 1e9;
                            System.out.printf("barriers     %-5s layer 0 of %d, %d experts (H=%d, I=%d, V=%d), %d tokens: %d merges in %.2f s = %.2f"
                                    + " merges/s; %s%n", mode, layers, experts, hidden, intermediate, vocab, windows * 128, merges.size(), secs,
                                    merges.size() / secs, mb.report());
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
