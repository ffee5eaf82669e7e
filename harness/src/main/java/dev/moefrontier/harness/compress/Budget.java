package dev.moefrontier.harness.compress;

import dev.moefrontier.harness.model.ModelConfig;
import dev.moefrontier.harness.model.TensorLayout;

/** Budgets and parameter accounting (methods.md §1, §4.11). */
public final class Budget {
    private Budget() {}

    /** Checks that a ratio lies in (0, 1). */
    public static void checkRatio(double ratio) {
        if (!(ratio > 0 && ratio < 1)) {
            throw new IllegalArgumentException("ratio must be in (0, 1), got " + ratio);
        }
    }

    /**
     * Experts to prune per layer: m = round(r E) (half to even, as Python's round), uniform over layers. Keeping fewer
     * than top_k experts is an error. E.g. r = 0.33 and 0.66 keep 43 and 22 of 64, 172 and 87 of 256.
     */
    public static int pruneCount(double ratio, int experts, int topK) {
        checkRatio(ratio);
        int m = (int) Math.rint(ratio * experts);
        if (experts - m < topK) {
            throw new IllegalArgumentException(String.format("ratio %s keeps %d of %d experts per layer, fewer than top_k = %d",
                    ratio, experts - m, experts, topK));
        }
        return m;
    }

    /** P_r: routed expert parameters over all MoE layers. */
    public static long routedParams(ModelConfig cfg) {
        ModelConfig.MoeSpec m = cfg.moe();
        return (long) cfg.moeLayers().size() * m.numExperts() * expertParams(cfg);
    }

    /** Parameters of one routed expert (gate, up, down). */
    public static long expertParams(ModelConfig cfg) {
        return 3L * cfg.hiddenSize() * cfg.moe().intermediate();
    }

    /** P_s: shared expert parameters over all MoE layers (their sigmoid gate counts as a router). */
    public static long sharedParams(ModelConfig cfg) {
        return (long) cfg.moeLayers().size() * 3L * cfg.hiddenSize() * cfg.moe().sharedIntermediate();
    }

    /** Every parameter of the dense model. */
    public static long totalParams(ModelConfig cfg) {
        long n = 0;
        for (long[] shape : TensorLayout.expected(cfg, TensorLayout.ExpertStorage.FUSED).values()) {
            long p = 1;
            for (long d : shape) {
                p *= d;
            }
            n += p;
        }
        return n;
    }

    /**
     * Stage-2 Wanda sparsity r2 of a hybrid at expert ratio r1 so that the removed MoE-block fraction equals
     * {@code total}: r2 = (total (P_r + P_s) − r1 P_r) / ((1 − r1) P_r + P_s).
     */
    public static double hybridSparsity(ModelConfig cfg, double total, double r1) {
        checkRatio(total);
        double pr = routedParams(cfg);
        double ps = sharedParams(cfg);
        double r2 = (total * (pr + ps) - r1 * pr) / ((1 - r1) * pr + ps);
        if (!(r2 >= 0 && r2 < 1)) {
            throw new IllegalArgumentException(String.format(
                    "no Wanda sparsity reaches a total of %s with expert ratio r1 = %s (it would need r2 = %.4f)", total, r1, r2));
        }
        return r2;
    }

    /** What {@code plan} removes from a model with config {@code cfg}. */
    public static Accounting account(ModelConfig cfg, PruningPlan plan) {
        long expert = expertParams(cfg);
        long routed = routedParams(cfg);
        long moe = routed + sharedParams(cfg);
        long prunedExperts = 0;
        long masked = 0;
        long maskable = 0;
        MaskSpec spec = plan.maskSpec();
        int h = cfg.hiddenSize();
        int inter = cfg.moe().intermediate();
        int si = cfg.moe().sharedIntermediate();
        for (LayerPlan lp : plan.layers()) {
            prunedExperts += lp.pruned().length;
            maskable += (long) lp.kept().length * expert + 3L * h * si;
            if (spec != null && lp.masks() != null) {
                for (int e : lp.kept()) {
                    ExpertNorms n = lp.masks().experts().get(e);
                    if (n != null && (n.tokens() > 0 || spec.empty().equals("magnitude"))) {
                        masked += 2L * inter * spec.prunedPerRow(h) + (long) h * spec.prunedPerRow(inter);
                    }
                }
                if (si > 0 && lp.masks().shared() != null) {
                    masked += 2L * si * spec.prunedPerRow(h) + (long) h * spec.prunedPerRow(si);
                }
            }
        }
        int layers = Math.max(1, cfg.moeLayers().size());
        long removed = prunedExperts * expert + masked;
        long total = totalParams(cfg);
        return new Accounting((double) prunedExperts / ((long) layers * cfg.moe().numExperts()),
                maskable == 0 ? 0 : (double) masked / maskable, moe, removed, (double) removed / moe, total, (double) removed / total);
    }
}
