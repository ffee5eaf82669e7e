package dev.moefrontier.compressors;

import dev.moefrontier.harness.calib.LayerStats;
import dev.moefrontier.harness.spi.CalibrationStatistic;
import dev.moefrontier.harness.calib.RoutingStatistics;
import dev.moefrontier.harness.compress.CompressionContext;
import dev.moefrontier.harness.spi.Compressor;
import dev.moefrontier.harness.compress.Decisions;
import dev.moefrontier.harness.compress.LayerPlan;
import dev.moefrontier.harness.compress.OptionSpec;
import dev.moefrontier.harness.compress.Options;
import dev.moefrontier.harness.compress.PlanFigures;
import dev.moefrontier.harness.compress.PruningPlan;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * M-SMoE (Li et al., "Merge, Then Compress", arXiv 2310.01334), learning-free part: per layer the k most-used experts
 * (k = the experts kept at this ratio) become group cores ("dominant experts"); every other expert joins the core whose
 * router-logit column is most similar (cosine over all calibration tokens; ties go to the more-used core); each group
 * is merged by usage-frequency-weighted averaging of gate, up and down, and its members are served by the merged
 * expert (redirect semantics: the router keeps every row). No permutation alignment of neurons before merging (the
 * paper's optional alignment step is not implemented).
 */
public final class MSmoeCompressor implements Compressor {
    @Override
    public String name() {
        return "m-smoe";
    }

    @Override
    public String description() {
        return "M-SMoE: group experts around the most-used ones by router-logit similarity, frequency-weighted merge";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(OptionSpec.choice("merge", "frequency", List.of("frequency", "average"), "merge weights within a group"));
    }

    @Override
    public Set<CalibrationStatistic> statistics(Options options) {
        return Set.of(RoutingStatistics.ROUTING, RouterGram.STATISTIC);
    }

    @Override
    public PruningPlan plan(CompressionContext ctx, double ratio, Options options) {
        int m = ctx.pruneCount(ratio);
        int e = ctx.config().moe().numExperts();
        int k = e - m;
        List<LayerPlan> layers = new ArrayList<>();
        for (int l : ctx.config().moeLayers()) {
            LayerStats s = ctx.stats().layer(l);
            long[] counts = new long[e];
            for (int i = 0; i < e; i++) {
                counts[i] = s.count(i);
            }
            layers.add(MergePlans.layer(l, groups(RouterGram.of(ctx.stats(), l), counts, k), counts, options.getString("merge")));
        }
        return new PruningPlan(name(), options.asMap(), ratio, PruningPlan.Mode.REDIRECT, layers, null, Map.of())
                .withFigures(PlanFigures.builder().number("groups_per_layer", k).build());
    }

    /** Per expert, the dominant expert of its group. */
    static int[] groups(double[][] gram, long[] counts, int k) {
        int e = counts.length;
        Integer[] byUsage = new Integer[e];
        for (int i = 0; i < e; i++) {
            byUsage[i] = i;
        }
        java.util.Arrays.sort(byUsage, (a, b) -> counts[a] != counts[b] ? Long.compare(counts[b], counts[a]) : Integer.compare(a, b));
        int[] group = new int[e];
        boolean[] dominant = new boolean[e];
        for (int r = 0; r < k; r++) {
            dominant[byUsage[r]] = true;
            group[byUsage[r]] = byUsage[r];
        }
        for (int i = 0; i < e; i++) {
            if (dominant[i]) {
                continue;
            }
            double[] sim = new double[k];
            for (int r = 0; r < k; r++) { // cores in usage order
                int d = byUsage[r];
                double denom = Math.sqrt(gram[i][i] * gram[d][d]);
                sim[r] = denom > 0 ? gram[i][d] / denom : 0;
            }
            group[i] = byUsage[Decisions.argmax(sim, Decisions.MODEL_VALUES)]; // §10 grid; the first (more-used) core wins a tie
        }
        return group;
    }
}
