package dev.moefrontier.compressors.ream;

import dev.moefrontier.harness.compress.Decisions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** REAM's decisions for one layer from its statistics (methods.md §7.2–7.4): saliency, distance, centroid groups. */
public final class ReamGrouping {
    private ReamGrouping() {}

    /** Zero saliencies replaced by min(0.5, smallest positive one), as the reference code does (methods.md §7.2). */
    public static double[] saliency(double[] raw, int layer) {
        double minPositive = Double.POSITIVE_INFINITY;
        for (double s : raw) {
            if (s > 0) {
                minPositive = Math.min(minPositive, s);
            }
        }
        if (minPositive == Double.POSITIVE_INFINITY) {
            throw new IllegalStateException("ream: every expert of layer " + layer + " has saliency 0 (no routed tokens?)");
        }
        double[] s = raw.clone();
        for (int i = 0; i < s.length; i++) {
            if (!(s[i] > 0)) {
                s[i] = Math.min(0.5, minPositive);
            }
        }
        return s;
    }

    /**
     * d_ij = 1 − (S_out + S_gate) / 2 (or 1 − S_out without the gate term): S_out = (1 + cos(ȳ_i, ȳ_j)) / 2, S_gate = 1 −
     * δ_ij / max δ with δ the distance of the unit-normalized router-logit columns, from their Gram matrix.
     */
    public static double[][] distance(double[][] signature, double[][] logitGram, boolean useGate) {
        int e = signature.length;
        double[] norm = new double[e];
        for (int i = 0; i < e; i++) {
            norm[i] = Math.sqrt(dot(signature[i], signature[i]));
        }
        double[][] delta = new double[e][e];
        double maxDelta = 0;
        for (int i = 0; i < e; i++) {
            for (int j = 0; j < e; j++) {
                double ni = Math.sqrt(logitGram[i][i]);
                double nj = Math.sqrt(logitGram[j][j]);
                double cos = ni > 0 && nj > 0 ? logitGram[i][j] / (ni * nj) : 0;
                delta[i][j] = i == j ? 0 : Math.sqrt(Math.max(0, 2 - 2 * cos));
                maxDelta = Math.max(maxDelta, delta[i][j]);
            }
        }
        double[][] d = new double[e][e];
        for (int i = 0; i < e; i++) {
            for (int j = 0; j < e; j++) {
                double cos = norm[i] > 0 && norm[j] > 0 ? dot(signature[i], signature[j]) / (norm[i] * norm[j]) : 0;
                double sOut = i == j ? 1 : (1 + cos) / 2;
                double sGate = maxDelta > 0 ? 1 - delta[i][j] / maxDelta : 1;
                d[i][j] = useGate ? 1 - (sOut + sGate) / 2 : 1 - sOut;
            }
        }
        return d;
    }

    /** The {@code keep} most salient experts, most salient first; ties (on the §10 grid) to the higher index. */
    public static int[] centroids(double[] saliency, int keep) {
        long[] key = Decisions.keys(saliency, Decisions.MODEL_VALUES);
        Integer[] o = new Integer[saliency.length];
        for (int i = 0; i < o.length; i++) {
            o[i] = i;
        }
        Arrays.sort(o, (a, b) -> key[a] != key[b] ? Long.compare(key[b], key[a]) : Integer.compare(b, a));
        int[] out = new int[keep];
        for (int i = 0; i < keep; i++) {
            out[i] = o[i];
        }
        return out;
    }

    /**
     * Per expert, the centroid of its group: each centroid in turn (most salient first) absorbs the nearest experts that
     * are neither centroids nor taken (ascending d on the §10 grid, ties to the lower index) until its group has
     * {@code groupSize} members; stops when every expert has a group.
     *
     * @throws IllegalArgumentException when the centroids' groups cannot cover every expert (keep · C < E)
     */
    public static int[] groups(double[][] d, int[] centroids, int groupSize) {
        int e = d.length;
        int[] group = new int[e];
        Arrays.fill(group, -1);
        for (int c : centroids) {
            group[c] = c;
        }
        int unassigned = e - centroids.length;
        double[][] grid = Decisions.snap(d, Decisions.MODEL_VALUES);
        for (int c : centroids) {
            if (unassigned == 0) {
                break;
            }
            int[] near = Decisions.ascending(grid[c], 0);
            int size = 1;
            for (int j : near) {
                if (size >= groupSize) {
                    break;
                }
                if (group[j] < 0) {
                    group[j] = c;
                    size++;
                    unassigned--;
                }
            }
        }
        if (unassigned > 0) {
            throw new IllegalArgumentException("ream: " + centroids.length + " groups of at most " + groupSize + " cannot hold all " + e
                    + " experts; lower the ratio or raise group_size");
        }
        return group;
    }

    /** Group sizes of a group map, largest first (for reports and tests). */
    public static List<Integer> sizes(int[] group) {
        int[] count = new int[group.length];
        for (int g : group) {
            count[g]++;
        }
        List<Integer> out = new ArrayList<>();
        for (int c : count) {
            if (c > 0) {
                out.add(c);
            }
        }
        out.sort((a, b) -> Integer.compare(b, a));
        return out;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }
}
