package dev.moefrontier.compressors.hodge;

import dev.moefrontier.harness.spi.CalibrationStatistic;
import dev.moefrontier.harness.calib.CalibrationStats;
import dev.moefrontier.harness.calib.RoutingStatistics;
import dev.moefrontier.harness.compress.CompressionContext;
import dev.moefrontier.harness.compress.Decisions;
import dev.moefrontier.harness.util.NonFiniteException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * HodgeCover's merge barriers (methods.md §4.2-4.4) as a calibration statistic: pairs, candidate triangles and triplets of
 * every MoE layer, computed in one ascending pass by {@link MergeBarriers} and cached by the calibrator like any other
 * statistic (keyed by the {@link BarrierSettings} that change values), so ratios, ablations and the Hodge analyzer reuse
 * them. Reads the routing statistic (merge weights are usage frequencies).
 */
public record BarrierStatistic(BarrierSettings settings) implements CalibrationStatistic.Computed {

    @Override
    public String name() {
        return "hodge-barriers";
    }

    @Override
    public String description() {
        return "merge barriers of expert pairs and candidate triplets (HodgeCover)";
    }

    @Override
    public int version() {
        return BarrierSettings.VERSION;
    }

    @Override
    public String parameters() {
        return settings.key();
    }

    @Override
    public List<CalibrationStatistic> requires() {
        return List.of(RoutingStatistics.ROUTING);
    }

    /** A layer's barriers depend on that layer's merges only (the cursor runs the dense layers before it). */
    @Override
    public boolean perLayer() {
        return true;
    }

    /**
     * Pair merges E(E-1)/2 plus the capped candidate triplets, each over the barrier tokens. LOCAL: the tokens routed to
     * a merged expert (m·T·k/E for m experts) through the merged expert and the LM head. FULL: the windows with such a
     * token (1 - (1 - m·k/E)^len of them) through layers l..L and the head (methods.md §4.2).
     */
    @Override
    public double estimatedFlops(dev.moefrontier.harness.model.ModelConfig c, int layer, long tokens, int windowLength) {
        int e = c.moe().numExperts();
        double k = c.moe().topK();
        double t = settings.maxTokens() > 0 ? Math.min(tokens, settings.maxTokens()) : tokens;
        double pairs = e * (e - 1) / 2.0;
        double triplets = Math.min(settings.triangleCap(), e * (e - 1.0) * (e - 2) / 6);
        double total = 0;
        for (int m = 2; m <= 3; m++) {
            double merges = m == 2 ? pairs : triplets;
            double share = Math.min(1, m * k / e);
            double perMerge = settings.mode() == MergeBarriers.Mode.LOCAL
                    ? share * t * (dev.moefrontier.harness.model.Flops.expertPerToken(c) + dev.moefrontier.harness.model.Flops.headPerToken(c))
                    : (1 - Math.pow(1 - share, windowLength)) * t * dev.moefrontier.harness.model.Flops.fromLayerPerToken(c, layer, windowLength);
            total += merges * perMerge;
        }
        return total;
    }

    @Override
    public Map<Integer, Map<String, double[]>> compute(Inputs in) {
        Map<Integer, Map<String, double[]>> out = new TreeMap<>();
        BarrierSettings s = settings;
        try (MergeBarriers mb = new MergeBarriers(in.model(), in.stats(), windows(in.data().windows(), s), s.mode(), s.batchTokens(),
                s.memoryBudget())) {
            mb.reverseKl = s.reverseKl();
            for (int l : in.layers()) {
                out.put(l, compute(mb, l, in.model().config().moe().numExperts(), s).toValues());
            }
            in.log().accept("barriers: " + mb.report());
        }
        return out;
    }

    /**
     * The barriers of every MoE layer with settings {@code s}: from the context's statistics when a compressor declared
     * them, otherwise computed through the context's calibrator (and cached there).
     */
    public static Map<Integer, LayerBarriers> barriers(CompressionContext ctx, BarrierSettings s) {
        BarrierStatistic stat = new BarrierStatistic(s);
        CalibrationStats stats = ctx.hasStats() && ctx.stats().has(stat) ? ctx.stats()
                : ctx.calibrator().stats(ctx.model(), ctx.data(), List.of(stat));
        Map<Integer, LayerBarriers> out = new LinkedHashMap<>();
        for (int l : ctx.config().moeLayers()) {
            out.put(l, LayerBarriers.fromValues(l, stats.values(stat, l)));
        }
        return out;
    }

    /** Pairs, then candidate triangles from them, then triplets, for one layer. */
    public static LayerBarriers compute(MergeBarriers mb, int layer, int experts, BarrierSettings s) {
        double[][] pairs = mb.pairMatrix(layer, experts);
        for (int i = 0; i < experts; i++) {
            for (int j = 0; j < experts; j++) {
                if (!Double.isFinite(pairs[i][j])) {
                    throw new NonFiniteException("merge barrier of MoE layer " + layer + ", experts (" + i + ", " + j + ") is "
                            + pairs[i][j] + " (non-finite weights or activations)");
                }
            }
        }
        // Candidates are a decision on computed barriers: taken on the §10 grid, like every later step.
        int[][] cands = Candidates.triangles(Decisions.snap(pairs, Decisions.BARRIERS), s.triangleCap(), s.candidateSeed(),
                s.triangleQuantile());
        double[] trip = cands.length == 0 ? new double[0] : mb.compute(layer, Arrays.asList(cands), "barriers L" + layer + " triplets");
        for (int t = 0; t < trip.length; t++) {
            if (!Double.isFinite(trip[t])) {
                throw new NonFiniteException("triplet barrier of MoE layer " + layer + ", experts " + Arrays.toString(cands[t]) + " is "
                        + trip[t] + " (non-finite weights or activations)");
            }
        }
        return new LayerBarriers(layer, pairs, cands, trip);
    }

    /** The leading calibration windows within the token budget. */
    static List<int[]> windows(List<int[]> all, BarrierSettings s) {
        if (s.maxTokens() <= 0) {
            return all;
        }
        List<int[]> out = new ArrayList<>();
        long n = 0;
        for (int[] w : all) {
            if (!out.isEmpty() && n + w.length > s.maxTokens()) {
                break;
            }
            out.add(w);
            n += w.length;
        }
        return out;
    }
}
