package dev.moefrontier.compressors.ream;

import static dev.moefrontier.harness.cli.BenchCommand.deleteTree;
import static dev.moefrontier.harness.cli.BenchCommand.olmoeShaped;

import dev.moefrontier.harness.calib.CalibrationData;
import dev.moefrontier.harness.calib.CalibrationSpec;
import dev.moefrontier.harness.calib.CalibrationStats;
import dev.moefrontier.harness.calib.Calibrator;
import dev.moefrontier.harness.calib.RoutingStatistics;
import dev.moefrontier.harness.model.ModelPatch;
import dev.moefrontier.harness.model.MoeTransformer;
import dev.moefrontier.harness.util.Progress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code frontier bench ream}: REAM's statistics pass, weight features, grouping and neuron alignment, timed apart. */
@Command(name = "ream", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"REAM on a synthetic OLMoE-shaped layer (default: OLMoE-1B-7B's 64 experts, H 2048, I 1024, top-8):",
            "the statistics pass (every expert on every calibration position), the PCA weight features, the grouping,",
            "and the neuron alignment (cost matrices, then the exact assignment), each with its share of the total."})
public final class BenchReam implements Callable<Integer> {
    @Option(names = "--layers", defaultValue = "1", description = "Default: ${DEFAULT-VALUE}.")
    int layers;

    @Option(names = "--experts", defaultValue = "64", description = "Default: ${DEFAULT-VALUE}.")
    int experts;

    @Option(names = "--hidden", defaultValue = "2048", description = "Default: ${DEFAULT-VALUE}.")
    int hidden;

    @Option(names = "--intermediate", defaultValue = "1024", description = "Default: ${DEFAULT-VALUE}.")
    int intermediate;

    @Option(names = "--tokens", defaultValue = "2048", description = "Calibration positions (windows of 512). Default: ${DEFAULT-VALUE}.")
    int tokens;

    @Option(names = "--ratio", defaultValue = "0.5", description = "Expert ratio (0.5 on 64 experts: groups of 16, 16 and 3). "
            + "Default: ${DEFAULT-VALUE}.")
    double ratio;

    @Option(names = "--act-samples", defaultValue = "512", description = "Default: ${DEFAULT-VALUE}.")
    int samples;

    @Override
    public Integer call() throws IOException {
        Path tmp = Files.createTempDirectory("frontier-ream");
        try {
            Path dir = olmoeShaped(tmp, layers, hidden, experts, 8, intermediate);
            Path ids = tmp.resolve("ids.json");
            Random r = new Random(1);
            StringBuilder sb = new StringBuilder("{\"input_ids\": [");
            for (int w = 0; w < Math.max(1, tokens / 512); w++) {
                sb.append(w == 0 ? "[" : ", [");
                for (int t = 0; t < Math.min(512, tokens); t++) {
                    sb.append(t == 0 ? "" : ", ").append(r.nextInt(1024));
                }
                sb.append(']');
            }
            Files.writeString(ids, sb.append("]}").toString());
            try (MoeTransformer m = MoeTransformer.open(dir)) {
                CalibrationData data = CalibrationData.load(CalibrationSpec.tokenIds(ids), dir, 1024, 1 << 20);
                ReamSignals signals = new ReamSignals(true, 0, samples, false, 42, false);
                long t0 = System.nanoTime();
                CalibrationStats st = new Calibrator(null, 4096, s -> { }).collect(m, data, List.of(RoutingStatistics.ROUTING, signals),
                        ModelPatch.NONE);
                long tStats = System.nanoTime() - t0;
                int keep = experts - (int) Math.rint(ratio * experts);
                long tFeatures = 0;
                long tGroups = 0;
                ReamCompressor.Timing align = new ReamCompressor.Timing();
                int alignments = 0;
                for (int l : m.config().moeLayers()) {
                    long a = System.nanoTime();
                    double[] f = WeightFeatures.layer(m, l, 64);
                    tFeatures += System.nanoTime() - a;
                    double[][][] wf = WeightFeatures.unflatten(f, experts, intermediate);
                    a = System.nanoTime();
                    ReamSignals.Layer v = signals.of(st, l);
                    double[] sal = ReamGrouping.saliency(v.saliency(), l);
                    int[] centroids = ReamGrouping.centroids(sal, keep);
                    int[] group = ReamGrouping.groups(ReamGrouping.distance(v.signature(), v.logitGram(), true), centroids, 16);
                    double[][][] profiles = ReamCompressor.profiles(v.activations(), intermediate);
                    tGroups += System.nanoTime() - a;
                    try (Progress p = Progress.start("alignment", experts - keep, "members")) {
                        for (int x = 0; x < experts; x++) {
                            if (group[x] != x) {
                                ReamCompressor.align(profiles, wf, group[x], x, m.manager(), align);
                                alignments++;
                                p.step(1);
                            }
                        }
                    }
                }
                double total = (tStats + tFeatures + tGroups + align.costs + align.assignment) / 1e9;
                System.out.printf(Locale.ROOT, "ream  %d layer(s) x %d experts (H=%d, I=%d), %d positions, ratio %.2f (%d alignments"
                        + " of %d x %d neurons):%n", layers, experts, hidden, intermediate, data.windows().size() * Math.min(512, tokens),
                        ratio, alignments, intermediate, intermediate);
                line("statistics pass", tStats / 1e9, total);
                line("weight features (PCA)", tFeatures / 1e9, total);
                line("grouping", tGroups / 1e9, total);
                line("alignment costs", align.costs / 1e9, total);
                line("assignment (Hungarian)", align.assignment / 1e9, total);
                System.out.printf(Locale.ROOT, "  %-24s %8.2f s%n", "total", total);
            }
        } finally {
            deleteTree(tmp);
        }
        return 0;
    }

    private static void line(String what, double seconds, double total) {
        System.out.printf(Locale.ROOT, "  %-24s %8.2f s  %5.1f%%%n", what, seconds, 100 * seconds / total);
    }
}
