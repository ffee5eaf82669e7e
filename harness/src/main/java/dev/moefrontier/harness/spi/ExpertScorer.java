package dev.moefrontier.harness.spi;

import dev.moefrontier.harness.compress.CompressionContext;
import dev.moefrontier.harness.compress.Decisions;
import dev.moefrontier.harness.compress.LayerPlan;
import dev.moefrontier.harness.compress.Options;
import dev.moefrontier.harness.compress.PruningPlan;
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
        Map<Integer, Double> margins = new LinkedHashMap<>();
        for (Map.Entry<Integer, double[]> s : scores(ctx, options).entrySet()) {
            int[] order = pruneOrder(s.getKey(), s.getValue());
            layers.add(LayerPlan.keep(s.getKey(), e, java.util.Arrays.copyOfRange(order, m, e)));
            margins.put(s.getKey(), Decisions.splitMargin(s.getValue(), order, m, Decisions.MODEL_VALUES));
        }
        Map<String, String> info = new LinkedHashMap<>();
        info.put("pruned_per_layer", Integer.toString(m));
        return new PruningPlan(name(), options.asMap(), ratio, PruningPlan.Mode.DROP, layers, null, info).withMargins(margins);
    }

    /** True when the highest scores are pruned (AIMER), false when the lowest are. */
    default boolean prunesHighest() {
        return false;
    }

    /**
     * Experts in pruning order: the first {@code m} are pruned at {@code m} pruned experts. Scores are compared on the
     * grid of methods.md §10 ({@link Decisions#MODEL_VALUES}); ties: the lower expert index is pruned first (§3).
     */
    default int[] pruneOrder(double[] scores) {
        return prunesHighest() ? Decisions.descending(scores, Decisions.MODEL_VALUES) : Decisions.ascending(scores, Decisions.MODEL_VALUES);
    }

    /** {@link #pruneOrder(double[])}, naming the layer when a score is not finite. */
    default int[] pruneOrder(int layer, double[] scores) {
        for (int x = 0; x < scores.length; x++) {
            if (!Double.isFinite(scores[x])) {
                throw new dev.moefrontier.harness.util.NonFiniteException(name() + ": score of layer " + layer + " expert " + x + " is " + scores[x]
                        + " (non-finite statistics or weights); no plan is made from it");
            }
        }
        return pruneOrder(scores);
    }
}
