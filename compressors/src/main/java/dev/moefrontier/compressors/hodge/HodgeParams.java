package dev.moefrontier.compressors.hodge;

/**
 * Parameters of HodgeCover's selection (methods.md §4.5–4.8).
 *
 * @param steps filtration grid points (80)
 * @param p fraction of K's edges that are critical (0.10)
 * @param q fraction of K's faces that are critical (0.20)
 * @param lambdaE weight of newly hit critical edges (1)
 * @param lambdaT weight of newly hit critical faces (1)
 * @param alpha weight of |harm| in the redirect cost (1)
 * @param variant the full method or one of the §4.9 ablations
 * @param saliencyScale how sal(e) is scaled before it meets the λ-weighted coverage terms of §4.8 (SUM: to sum 1)
 * @param grid the filtration's τ range (§4.5: minimum to median)
 * @param cover when a critical edge or face counts as covered in the greedy gain (§4.8: one vertex in S)
 * @param complex which 2-complex is decomposed (§4.5: K at τ*)
 */
public record HodgeParams(int steps, double p, double q, double lambdaE, double lambdaT, double alpha, Variant variant,
        SaliencyScale saliencyScale, Grid grid, Cover cover, Complex complex) {

    /** The complex the Hodge decomposition runs on (methods.md §4.5 and the readings of §4.12). */
    public enum Complex {
        /** K = K_τ*: the pairs with b_ij ≤ τ* and the candidate triangles that appeared by τ* (the reference). */
        FILTRATION,
        /** Every pair is an edge; the faces are the candidate triangles with b_ijk ≤ τ* (τ* still from the filtration). */
        COMPLETE
    }

    /** The τ range of the filtration grid (methods.md §4.5 and the readings of §4.12). */
    public enum Grid {
        /** From the minimum to the median pair barrier (the reference). */
        MIN_MEDIAN,
        /** From 0 to 1.1 × the largest pair barrier (the precursor code's range). */
        ZERO_1_1MAX
    }

    /** When a critical edge or face counts as covered by the kept set (methods.md §4.8 and §4.12). */
    public enum Cover {
        /** Hit: at least one of its vertices is kept (the reference). */
        HIT,
        /** All of its vertices are kept (the simplex survives). */
        ALL
    }

    /**
     * How the saliency is scaled in the greedy gain (methods.md §4.8 reads "normalized to sum 1"; the paper's text is
     * not available, so the other readings are options): to sum 1 (the reference), to max 1, or raw.
     */
    public enum SaliencyScale {
        /** sal / Σ sal (methods.md §4.1). */
        SUM,
        /** sal / max sal: the most salient expert's term equals a full cover of E* (or T*). */
        MAX,
        /** The score as computed (its units against the coverage fractions). */
        RAW
    }

    /** The reference reading: saliency normalized to sum 1. */
    public HodgeParams(int steps, double p, double q, double lambdaE, double lambdaT, double alpha, Variant variant) {
        this(steps, p, q, lambdaE, lambdaT, alpha, variant, SaliencyScale.SUM, Grid.MIN_MEDIAN, Cover.HIT, Complex.FILTRATION);
    }

    /** HodgeCover and its ablations (methods.md §4.9). */
    public enum Variant {
        /** The full method. */
        HODGECOVER,
        /** λt = 0. */
        NO_TRIANGLE,
        /** No Hodge: E* = the top-p edges of K by raw b_ij. */
        TRIPLET_PENALTY,
        /** Hard veto: never complete all three vertices of a T* face unless no other candidate is left. */
        TRIPLET_HYPERGRAPH,
        /** Pairwise only: repeatedly prune the survivor with the smallest barrier to another survivor. */
        GREEDY_BARRIER
    }

    public static HodgeParams defaults() {
        return new HodgeParams(80, 0.10, 0.20, 1.0, 1.0, 1.0, Variant.HODGECOVER);
    }

    public HodgeParams {
        if (steps < 2) {
            throw new IllegalArgumentException("steps must be at least 2");
        }
        if (!(p > 0 && p <= 1) || !(q > 0 && q <= 1)) {
            throw new IllegalArgumentException("p and q must be in (0, 1]");
        }
        if (lambdaE < 0 || lambdaT < 0 || alpha < 0) {
            throw new IllegalArgumentException("lambda_e, lambda_t and alpha must be non-negative");
        }
        java.util.Objects.requireNonNull(saliencyScale, "saliencyScale");
        java.util.Objects.requireNonNull(grid, "grid");
        java.util.Objects.requireNonNull(cover, "cover");
        java.util.Objects.requireNonNull(complex, "complex");
    }

    public HodgeParams withVariant(Variant v) {
        return new HodgeParams(steps, p, q, lambdaE, lambdaT, alpha, v, saliencyScale, grid, cover, complex);
    }
}
