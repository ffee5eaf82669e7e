package dev.moefrontier.harness.compress;

import java.util.Arrays;

/**
 * Discrete decisions on values computed by the model (methods.md §10): values are compared after rounding to a grid
 * whose unit is a fixed fraction of the largest magnitude among the values compared, and ties go to the stated index
 * rule (the lower index first). Values that agree up to floating-point noise therefore lead to the same decision on
 * every machine, unless one of them sits within the noise of a grid boundary.
 *
 * <p>The unit is the largest power of two not above {@code rel · max|v|}: a power of two keeps the unit itself stable
 * when {@code max|v|} moves by a few ulps (it changes only when the maximum crosses a power of two), and makes the
 * snapped values exact multiples. A procedure that makes several decisions on the same values (HodgeCover's
 * filtration, cover and redirect) snaps its inputs once with {@link #snap} and then runs in deterministic Java
 * arithmetic, so all its decisions are functions of the snapped inputs.
 *
 * <p>Grid widths are set from the noise measured across ATen kernel capabilities (default, AVX2, AVX-512) on the
 * embedded minis, each at least four times the largest deviation seen (README, "Numerics").
 */
public final class Decisions {
    /** Scores, norms, similarities and other model statistics (§10's default; measured noise ≤ 2.3e-7 of the maximum). */
    public static final double MODEL_VALUES = 1e-6;
    /** Pair merge barriers: absolute noise up to 1.2e-6 of the layer's largest barrier (KL cancellation), hence 1e-5. */
    public static final double BARRIERS = 1e-5;
    /** Triplet merge barriers: noise up to 2.6e-5 of the layer's largest triplet barrier, hence 1e-4. */
    public static final double TRIPLETS = 1e-4;
    /** Values given as input (the {@code hodge} command and its golden cases keep methods.md §4.7's 1e-9). */
    public static final double GIVEN_VALUES = 1e-9;

    private Decisions() {}

    /** The grid unit for values of largest magnitude {@code maxAbs}: the largest power of two ≤ rel · maxAbs; 0 if maxAbs is 0. */
    public static double unit(double rel, double maxAbs) {
        double u = rel * maxAbs;
        if (!(u > 0) || Double.isInfinite(u)) {
            return 0;
        }
        return Math.scalb(1.0, Math.getExponent(u));
    }

    /** max |v|; throws on a non-finite value (naming its index). */
    public static double maxAbs(double[] v) {
        double m = 0;
        for (int i = 0; i < v.length; i++) {
            if (!Double.isFinite(v[i])) {
                throw new dev.moefrontier.harness.util.NonFiniteException("a decision value is " + v[i] + " at index " + i
                        + " (non-finite statistics or weights upstream); no decision is made from it");
            }
            m = Math.max(m, Math.abs(v[i]));
        }
        return m;
    }

    /** Grid keys of {@code v} (round(v / unit)); with unit 0 (all values zero) every key is 0. */
    public static long[] keys(double[] v, double rel) {
        double u = unit(rel, maxAbs(v));
        long[] k = new long[v.length];
        if (u > 0) {
            for (int i = 0; i < v.length; i++) {
                k[i] = Math.round(v[i] / u);
            }
        }
        return k;
    }

    /** {@code v} rounded to its grid: round(v / unit) · unit. */
    public static double[] snap(double[] v, double rel) {
        double u = unit(rel, maxAbs(v));
        double[] out = new double[v.length];
        if (u > 0) {
            for (int i = 0; i < v.length; i++) {
                out[i] = Math.rint(v[i] / u) * u;
            }
        }
        return out;
    }

    /** A matrix rounded to one grid, whose unit comes from the largest magnitude of all its entries. */
    public static double[][] snap(double[][] v, double rel) {
        double m = 0;
        for (double[] row : v) {
            m = Math.max(m, maxAbs(row));
        }
        double u = unit(rel, m);
        double[][] out = new double[v.length][];
        for (int i = 0; i < v.length; i++) {
            out[i] = new double[v[i].length];
            if (u > 0) {
                for (int j = 0; j < v[i].length; j++) {
                    out[i][j] = Math.rint(v[i][j] / u) * u;
                }
            }
        }
        return out;
    }

    /** Indices by ascending grid value; ties to the lower index. {@code rel = 0} compares exactly. */
    public static int[] ascending(double[] v, double rel) {
        return order(v, rel, false);
    }

    /** Indices by descending grid value; ties to the lower index. {@code rel = 0} compares exactly. */
    public static int[] descending(double[] v, double rel) {
        return order(v, rel, true);
    }

    private static int[] order(double[] v, double rel, boolean descending) {
        long[] k = rel == 0 ? null : keys(v, rel);
        if (k == null) {
            maxAbs(v); // refuses non-finite values
        }
        Integer[] o = new Integer[v.length];
        for (int i = 0; i < o.length; i++) {
            o[i] = i;
        }
        Arrays.sort(o, (a, b) -> {
            int c = k == null ? Double.compare(v[a], v[b]) : Long.compare(k[a], k[b]);
            if (descending) {
                c = -c;
            }
            return c != 0 ? c : Integer.compare(a, b);
        });
        int[] out = new int[o.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = o[i];
        }
        return out;
    }

    /** The index of the smallest grid value; ties to the lower index. */
    public static int argmin(double[] v, double rel) {
        long[] k = keys(v, rel);
        int best = 0;
        for (int i = 1; i < k.length; i++) {
            if (k[i] < k[best]) {
                best = i;
            }
        }
        return best;
    }

    /** The index of the largest grid value; ties to the lower index. */
    public static int argmax(double[] v, double rel) {
        long[] k = keys(v, rel);
        int best = 0;
        for (int i = 1; i < k.length; i++) {
            if (k[i] > k[best]) {
                best = i;
            }
        }
        return best;
    }

    /**
     * The margin of a split of {@code order} after its first {@code m} entries: the gap between the values on either
     * side of the cut, on the grid, as a fraction of max |v| (0: the cut fell between grid-equal values and the index
     * rule decided it). NaN when there is no cut (m = 0 or m = all).
     */
    public static double splitMargin(double[] v, int[] order, int m, double rel) {
        if (m <= 0 || m >= order.length) {
            return Double.NaN;
        }
        double max = maxAbs(v);
        double u = unit(rel, max);
        if (u == 0) {
            return 0;
        }
        long[] k = keys(v, rel);
        return Math.abs(k[order[m]] - k[order[m - 1]]) * u / max;
    }
}
