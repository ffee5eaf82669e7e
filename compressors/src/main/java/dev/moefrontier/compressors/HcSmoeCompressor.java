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
 * HC-SMoE (Chen et al., "Retraining-Free Merging of Sparse MoE via Hierarchical Clustering", arXiv 2410.08589): each
 * expert is represented by its output averaged over all calibration tokens; agglomerative clustering with average
 * linkage on Euclidean distances (the pair of clusters with the smallest mean pairwise distance merges first; ties go to
 * the pair with the lowest smallest members) until k clusters remain; each cluster's representative is the member
 * closest to the cluster's mean representation (lower index on ties); clusters merge by usage-frequency-weighted
 * averaging and route through the representative (redirect semantics).
 */
public final class HcSmoeCompressor implements Compressor {
    @Override
    public String name() {
        return "hc-smoe";
    }

    @Override
    public String description() {
        return "HC-SMoE: average-linkage clustering of mean expert outputs, frequency-weighted merge per cluster";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(
                OptionSpec.choice("linkage", "average", List.of("average", "single", "complete"), "cluster distance"),
                OptionSpec.choice("merge", "frequency", List.of("frequency", "average"), "merge weights within a cluster"));
    }

    @Override
    public Set<CalibrationStatistic> statistics(Options options) {
        return Set.of(RoutingStatistics.ROUTING, MeanOutputs.STATISTIC);
    }

    @Override
    public PruningPlan plan(CompressionContext ctx, double ratio, Options options) {
        int m = ctx.pruneCount(ratio);
        int e = ctx.config().moe().numExperts();
        List<LayerPlan> layers = new ArrayList<>();
        for (int l : ctx.config().moeLayers()) {
            LayerStats s = ctx.stats().layer(l);
            double[][] rep = MeanOutputs.of(ctx.stats(), l);
            long[] counts = new long[e];
            for (int i = 0; i < e; i++) {
                counts[i] = s.count(i);
            }
            layers.add(MergePlans.layer(l, cluster(rep, e - m, options.getString("linkage")), counts, options.getString("merge")));
        }
        return new PruningPlan(name(), options.asMap(), ratio, PruningPlan.Mode.REDIRECT, layers, null, Map.of())
                .withFigures(PlanFigures.builder().number("clusters_per_layer", e - m).build());
    }

    /** Per expert, the representative of its cluster, after clustering down to {@code k} clusters. */
    static int[] cluster(double[][] raw, int k, String linkage) {
        // Mean outputs are model statistics: every later comparison runs on their §10 grid values.
        double[][] x = Decisions.snap(raw, Decisions.MODEL_VALUES);
        int e = x.length;
        double[][] d = new double[e][e];
        for (int i = 0; i < e; i++) {
            for (int j = i + 1; j < e; j++) {
                double s = 0;
                for (int t = 0; t < x[i].length; t++) {
                    double diff = x[i][t] - x[j][t];
                    s += diff * diff;
                }
                d[i][j] = d[j][i] = Math.sqrt(s);
            }
        }
        List<List<Integer>> clusters = new ArrayList<>();
        for (int i = 0; i < e; i++) {
            clusters.add(new ArrayList<>(List.of(i)));
        }
        while (clusters.size() > k) {
            int bi = -1;
            int bj = -1;
            double best = Double.POSITIVE_INFINITY;
            for (int a = 0; a < clusters.size(); a++) { // clusters stay ordered by their smallest member
                for (int b = a + 1; b < clusters.size(); b++) {
                    double dist = linkage(d, clusters.get(a), clusters.get(b), linkage);
                    if (dist < best) {
                        best = dist;
                        bi = a;
                        bj = b;
                    }
                }
            }
            clusters.get(bi).addAll(clusters.remove(bj));
            java.util.Collections.sort(clusters.get(bi));
        }
        int[] group = new int[e];
        for (List<Integer> c : clusters) {
            double[] mean = new double[x[0].length];
            for (int i : c) {
                for (int t = 0; t < mean.length; t++) {
                    mean[t] += x[i][t] / c.size();
                }
            }
            int rep = c.get(0);
            double bestDist = Double.POSITIVE_INFINITY;
            for (int i : c) {
                double s = 0;
                for (int t = 0; t < mean.length; t++) {
                    s += (x[i][t] - mean[t]) * (x[i][t] - mean[t]);
                }
                if (s < bestDist) {
                    bestDist = s;
                    rep = i;
                }
            }
            for (int i : c) {
                group[i] = rep;
            }
        }
        return group;
    }

    private static double linkage(double[][] d, List<Integer> a, List<Integer> b, String how) {
        double acc = how.equals("single") ? Double.POSITIVE_INFINITY : how.equals("complete") ? Double.NEGATIVE_INFINITY : 0;
        for (int i : a) {
            for (int j : b) {
                switch (how) {
                    case "single" -> acc = Math.min(acc, d[i][j]);
                    case "complete" -> acc = Math.max(acc, d[i][j]);
                    default -> acc += d[i][j];
                }
            }
        }
        return how.equals("average") ? acc / (a.size() * b.size()) : acc;
    }
}
