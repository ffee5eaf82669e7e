package dev.moefrontier.harness.sweep;

import dev.moefrontier.harness.compress.CompressionContext;
import dev.moefrontier.harness.compress.CompressorCatalog;
import dev.moefrontier.harness.compress.LayerPlan;
import dev.moefrontier.harness.compress.Options;
import dev.moefrontier.harness.compress.PruningPlan;
import dev.moefrontier.harness.spi.Compressor;
import dev.moefrontier.harness.util.Csv;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Plan stability ({@code stability: {resamples: N}} in a spec): each compressed cell's plan is made again on N fresh
 * draws of the calibration windows (same corpus, count and length; seeds calibration.seed + 1 .. + N), and every MoE
 * layer's kept set is compared with the cell's own by Jaccard overlap. {@code stability.csv} gives the mean and the
 * smallest overlap per layer and, in the {@code mean} row, over layers: 1 means the decision does not depend on which
 * windows were drawn. Only expert decisions are compared (weight masks are not).
 */
final class PlanStability {
    static final String FILE = "stability.csv";
    static final String[] HEADER = {"backbone", "compressor", "options", "ratio", "layer", "resamples", "mean_jaccard", "min_jaccard"};

    private PlanStability() {}

    /** The CSV of {@code plans} against their remakes in {@code resampled} contexts. */
    static String csv(String backbone, Map<Cell, PruningPlan> plans, List<CompressionContext> resampled, CompressorCatalog catalog) {
        StringBuilder sb = new StringBuilder(Csv.row((Object[]) HEADER));
        for (Map.Entry<Cell, PruningPlan> e : plans.entrySet()) {
            Cell c = e.getKey();
            Compressor comp = catalog.get(c.compressor());
            Options o = Options.parse(comp.name(), comp.options(), c.options());
            int experts = resampled.get(0).config().moe().numExperts();
            Map<Integer, double[]> sum = new LinkedHashMap<>(); // layer -> {sum, min}
            for (int layer : resampled.get(0).config().moeLayers()) {
                sum.put(layer, new double[] {0, 1});
            }
            for (CompressionContext ctx : resampled) {
                PruningPlan again = comp.plan(ctx, c.ratio(), o);
                for (Map.Entry<Integer, double[]> l : sum.entrySet()) {
                    double j = jaccard(kept(e.getValue().layer(l.getKey()), experts), kept(again.layer(l.getKey()), experts));
                    l.getValue()[0] += j;
                    l.getValue()[1] = Math.min(l.getValue()[1], j);
                }
            }
            double meanOfMeans = 0;
            double minOfMins = 1;
            for (Map.Entry<Integer, double[]> l : sum.entrySet()) {
                double mean = l.getValue()[0] / resampled.size();
                meanOfMeans += mean / sum.size();
                minOfMins = Math.min(minOfMins, l.getValue()[1]);
                sb.append(Csv.row(backbone, c.compressor(), c.optionString(), c.ratio(), l.getKey(), resampled.size(), mean, l.getValue()[1]));
            }
            sb.append(Csv.row(backbone, c.compressor(), c.optionString(), c.ratio(), "mean", resampled.size(), meanOfMeans, minOfMins));
        }
        return sb.toString();
    }

    /** The kept experts of a layer plan (all of them when the plan leaves the layer unchanged). */
    static Set<Integer> kept(LayerPlan lp, int experts) {
        Set<Integer> s = new HashSet<>();
        if (lp == null) {
            for (int x = 0; x < experts; x++) {
                s.add(x);
            }
        } else {
            for (int x : lp.kept()) {
                s.add(x);
            }
        }
        return s;
    }

    static double jaccard(Set<Integer> a, Set<Integer> b) {
        Set<Integer> union = new HashSet<>(a);
        union.addAll(b);
        List<Integer> both = new ArrayList<>(a);
        both.retainAll(b);
        return union.isEmpty() ? 1 : (double) both.size() / union.size();
    }
}
