package dev.moefrontier.harness.sweep;

import dev.moefrontier.harness.compress.CompressionContext;
import dev.moefrontier.harness.compress.CompressorCatalog;
import dev.moefrontier.harness.compress.LayerPlan;
import dev.moefrontier.harness.compress.Options;
import dev.moefrontier.harness.compress.PruningPlan;
import dev.moefrontier.harness.model.ModelConfig;
import dev.moefrontier.harness.spi.Compressor;
import dev.moefrontier.harness.util.Csv;
import dev.moefrontier.harness.util.Overlap;
import java.util.LinkedHashMap;
import java.util.Map;

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

    private final Map<Cell, PruningPlan> plans;
    private final CompressorCatalog catalog;
    private final int experts;
    /** Per cell, per MoE layer: {sum, min} of the overlaps so far. */
    private final Map<Cell, Map<Integer, double[]>> overlaps = new LinkedHashMap<>();
    private int resamples;

    PlanStability(Map<Cell, PruningPlan> plans, CompressorCatalog catalog, ModelConfig cfg) {
        this.plans = plans;
        this.catalog = catalog;
        this.experts = cfg.moe().numExperts();
        for (Cell c : plans.keySet()) {
            Map<Integer, double[]> m = new LinkedHashMap<>();
            cfg.moeLayers().forEach(l -> m.put(l, new double[] {0, 1}));
            overlaps.put(c, m);
        }
    }

    /** Remakes every plan in {@code ctx} (one resample; its statistics can be dropped afterwards). */
    void add(CompressionContext ctx) {
        for (Map.Entry<Cell, PruningPlan> e : plans.entrySet()) {
            Cell c = e.getKey();
            Compressor comp = catalog.get(c.compressor());
            PruningPlan again = comp.plan(ctx, c.ratio(), Options.parse(comp.name(), comp.options(), c.options()));
            for (Map.Entry<Integer, double[]> l : overlaps.get(c).entrySet()) {
                double j = Overlap.jaccard(kept(e.getValue().layer(l.getKey())), kept(again.layer(l.getKey())));
                l.getValue()[0] += j;
                l.getValue()[1] = Math.min(l.getValue()[1], j);
            }
        }
        resamples++;
    }

    /** The CSV: per cell one row per MoE layer, then its {@code mean} row. */
    String csv(String backbone) {
        StringBuilder sb = new StringBuilder(Csv.row((Object[]) HEADER));
        overlaps.forEach((c, layers) -> {
            double meanOfMeans = 0;
            double minOfMins = 1;
            for (Map.Entry<Integer, double[]> l : layers.entrySet()) {
                double mean = l.getValue()[0] / resamples;
                meanOfMeans += mean / layers.size();
                minOfMins = Math.min(minOfMins, l.getValue()[1]);
                sb.append(Csv.row(backbone, c.compressor(), c.optionString(), c.ratio(), l.getKey(), resamples, mean, l.getValue()[1]));
            }
            sb.append(Csv.row(backbone, c.compressor(), c.optionString(), c.ratio(), "mean", resamples, meanOfMeans, minOfMins));
        });
        return sb.toString();
    }

    /** The kept experts of a layer plan (all of them when the plan leaves the layer unchanged). */
    private int[] kept(LayerPlan lp) {
        return lp != null ? lp.kept() : java.util.stream.IntStream.range(0, experts).toArray();
    }
}
