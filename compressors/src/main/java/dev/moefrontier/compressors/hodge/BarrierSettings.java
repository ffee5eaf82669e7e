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
 */
public record BarrierSettings(MergeBarriers.Mode mode, int maxTokens, int triangleCap, long candidateSeed, int batchTokens,
        long memoryBudget) {
    /** Bump when barrier semantics change: cached barriers are then recomputed. */
    public static final int VERSION = 3; // 2: candidates on the §10 grid; 3: fixed-shape blocks

    /** A cache-key fragment. */
    String key() {
        return mode + "-t" + maxTokens + "-cap" + triangleCap + "-s" + candidateSeed + "-b" + batchTokens + "-v" + VERSION;
    }
}
