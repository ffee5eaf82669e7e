package dev.moefrontier.harness.compress;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A compressor that scores every routed expert and prunes by score (methods.md §3). {@code frontier scores} writes
 * these tables.
 */
public interface ExpertScorer extends Compressor {

    /** Per MoE layer, one score per routed expert. */
    Map<Integer, double[]> scores(CompressionContext ctx, Options options);

    /** Prunes the m = round(r E) experts that come first in {@link #pruneOrder} in every MoE layer (drop semantics). */
    @Override
    default PruningPlan plan(CompressionContext ctx, double ratio, Options options) {
        int m = ctx.pruneCount(ratio);
        int e = ctx.config().moe().numExperts();
        List<LayerPlan> layers = new ArrayList<>();
        for (Map.Entry<Integer, double[]> s : scores(ctx, options).entrySet()) {
            int[] order = pruneOrder(s.getValue());
            layers.add(LayerPlan.keep(s.getKey(), e, java.util.Arrays.copyOfRange(order, m, e)));
        }
        Map<String, String> info = new LinkedHashMap<>();
        info.put("pruned_per_layer", Integer.toString(m));
        return new PruningPlan(name(), options.asMap(), ratio, PruningPlan.Mode.DROP, layers, null, info);
    }

    /** True when the highest scores are pruned (AIMER), false when the lowest are. */
    default boolean prunesHighest() {
        return false;
    }

    /**
     * Experts in pruning order: the first {@code m} are pruned at {@code m} pruned experts. Ties: the lower expert index
     * is pruned first (methods.md §3).
     */
    default int[] pruneOrder(double[] scores) {
        Integer[] order = new Integer[scores.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        boolean highest = prunesHighest();
        java.util.Arrays.sort(order, (a, b) -> {
            int c = highest ? Double.compare(scores[b], scores[a]) : Double.compare(scores[a], scores[b]);
            return c != 0 ? c : Integer.compare(a, b);
        });
        int[] out = new int[order.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = order[i];
        }
        return out;
    }
}
