package dev.moefrontier.compressors.hodge;

import java.util.Arrays;

/**
 * Tie rule of methods.md §4.7: values are compared after rounding to a grid of 1e-9 times the largest magnitude being
 * ranked, and ties go to the earlier item.
 */
final class Ranking {
    private Ranking() {}

    /** The values on the tie grid (as longs). */
    static long[] quantize(double[] v) {
        double max = 0;
        for (double x : v) {
            max = Math.max(max, Math.abs(x));
        }
        long[] q = new long[v.length];
        if (max == 0) {
            return q;
        }
        double unit = 1e-9 * max;
        for (int i = 0; i < v.length; i++) {
            q[i] = Math.round(v[i] / unit);
        }
        return q;
    }

    /** Indices of the {@code count} largest values, largest first; ties to the earlier index. */
    static int[] topDescending(double[] v, int count) {
        long[] q = quantize(v);
        Integer[] order = new Integer[v.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> q[a] != q[b] ? Long.compare(q[b], q[a]) : Integer.compare(a, b));
        int[] out = new int[Math.min(count, v.length)];
        for (int i = 0; i < out.length; i++) {
            out[i] = order[i];
        }
        return out;
    }

    /** Index of the smallest value; ties to the earlier index. */
    static int argmin(double[] v) {
        long[] q = quantize(v);
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (q[i] < q[best]) {
                best = i;
            }
        }
        return best;
    }
}
