package dev.moefrontier.compressors.hodge;

/**
 * How barriers are measured: mode, calibration token budget, candidate-triangle cap and sampling seed, and batch size.
 *
 * @param mode full (model output) or local (layer output through the final norm and head)
 * @param maxTokens calibration tokens used (leading windows); 0 = all
 * @param triangleCap candidate triangles kept per layer (methods.md §4.3: 500)
 * @param candidateSeed seed of the candidate sample
 * @param batchTokens tokens per forward batch
 * @param memoryBudget bytes the barrier computation may hold beyond the model; 0 = half the memory available. It does not
 *     change the values (MergeBarriers computes in fixed-shape blocks), so it is not part of the cache key.
 * @param triangleQuantile candidate triangles are the 3-cliques of the pairs at most this quantile of the pair
 *     barriers (methods.md §4.3: the median, 0.5)
 * @param reverseKl KL(p_merged ‖ p_orig) instead of methods.md §4.2's KL(p_orig ‖ p_merged)
 */
public record BarrierSettings(MergeBarriers.Mode mode, int maxTokens, int triangleCap, long candidateSeed, int batchTokens,
        long memoryBudget, double triangleQuantile, boolean reverseKl) {

    /** Settings with the reference's median graph. */
    public BarrierSettings(MergeBarriers.Mode mode, int maxTokens, int triangleCap, long candidateSeed, int batchTokens, long memoryBudget) {
        this(mode, maxTokens, triangleCap, candidateSeed, batchTokens, memoryBudget, 0.5, false);
    }

    public BarrierSettings {
        if (!(triangleQuantile > 0 && triangleQuantile <= 1)) {
            throw new IllegalArgumentException("triangle_quantile must be in (0, 1], got " + triangleQuantile);
        }
    }

    /** Bump when barrier semantics change: cached barriers are then recomputed. */
    public static final int VERSION = 3; // 2: candidates on the §10 grid; 3: fixed-shape blocks

    /** A cache-key fragment. */
    String key() {
        // the median (the reference) keeps the key it always had, so existing caches stay valid
        return mode + "-t" + maxTokens + "-cap" + triangleCap + "-s" + candidateSeed + "-b" + batchTokens
                + (triangleQuantile == 0.5 ? "" : "-q" + triangleQuantile) + (reverseKl ? "-klrev" : "") + "-v" + VERSION;
    }
}
