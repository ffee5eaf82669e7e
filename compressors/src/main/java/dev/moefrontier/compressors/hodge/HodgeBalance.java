package dev.moefrontier.compressors.hodge;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Hodge-mass balance of a kept set S (methods.md §4.10): for gradient, curl and harmonic, the retained fraction is the
 * sum of squares over K's edges with both ends in S divided by the sum over all K's edges; triplet likewise with b_ijk²
 * over faces with all three vertices in S. balance = min / max of the four. A component with no mass at all (e.g. K has
 * no faces) has no defined retention: it is reported as NaN and left out of the balance.
 */
public final class HodgeBalance {
    public static final String[] COMPONENTS = {"gradient", "curl", "harmonic", "triplet"};

    private HodgeBalance() {}

    /** Retained mass per component (in {@link #COMPONENTS} order). */
    public static Map<String, Double> retained(boolean[] kept, int[][] edges, int[][] faces, double[] faceBarriers,
            HodgeDecomposition.Result d) {
        Map<String, Double> out = new LinkedHashMap<>();
        double[][] parts = {d.grad(), d.curl(), d.harm()};
        for (int c = 0; c < 3; c++) {
            double all = 0;
            double in = 0;
            for (int e = 0; e < edges.length; e++) {
                double v = parts[c][e] * parts[c][e];
                all += v;
                if (kept[edges[e][0]] && kept[edges[e][1]]) {
                    in += v;
                }
            }
            out.put(COMPONENTS[c], all == 0 ? Double.NaN : in / all);
        }
        double all = 0;
        double in = 0;
        for (int f = 0; f < faces.length; f++) {
            double v = faceBarriers[f] * faceBarriers[f];
            all += v;
            if (kept[faces[f][0]] && kept[faces[f][1]] && kept[faces[f][2]]) {
                in += v;
            }
        }
        out.put(COMPONENTS[3], all == 0 ? Double.NaN : in / all);
        return out;
    }

    /** min / max over the defined components; NaN when none is defined. */
    public static double balance(Map<String, Double> retained) {
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (double v : retained.values()) {
            if (!Double.isNaN(v)) {
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
        }
        if (max == Double.NEGATIVE_INFINITY) {
            return Double.NaN;
        }
        return max == 0 ? 0 : min / max;
    }
}
