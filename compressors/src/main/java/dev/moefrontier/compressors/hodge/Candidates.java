package dev.moefrontier.compressors.hodge;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Candidate triangles (methods.md §4.3): the 3-cliques of G_med, the graph of pairs with b_ij ≤ the median pair
 * barrier. When there are more than {@code cap}, a seeded uniform sample of {@code cap} is kept (Fisher–Yates shuffle of
 * the clique list, first {@code cap} taken, then put back in lexicographic order).
 */
public final class Candidates {
    private Candidates() {}

    /** The {@code q}-quantile of the pair barriers b_ij, i &lt; j, by linear interpolation between order statistics. */
    static double quantile(double[][] b, double q) {
        double[] v = Filtration.upper(b);
        java.util.Arrays.sort(v);
        if (v.length == 0) {
            return 0;
        }
        double pos = q * (v.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(lo + 1, v.length - 1);
        return v[lo] + (pos - lo) * (v[hi] - v[lo]);
    }

    public static int[][] triangles(double[][] b, int cap, long seed) {
        return triangles(b, cap, seed, 0.5);
    }

    /**
     * The 3-cliques of the graph of pairs with b_ij at most the {@code quantile} of the pair barriers (0.5: the median,
     * exactly as §4.3 defines it; otherwise linear interpolation at position quantile × (m − 1) of the m sorted values).
     */
    public static int[][] triangles(double[][] b, int cap, long seed, double quantile) {
        int n = b.length;
        double med = quantile == 0.5 ? Filtration.median(b) : quantile(b, quantile);
        boolean[][] adj = new boolean[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                adj[i][j] = adj[j][i] = b[i][j] <= med;
            }
        }
        List<int[]> all = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                if (!adj[i][j]) {
                    continue;
                }
                for (int k = j + 1; k < n; k++) {
                    if (adj[i][k] && adj[j][k]) {
                        all.add(new int[] {i, j, k});
                    }
                }
            }
        }
        if (all.size() <= cap) {
            return all.toArray(new int[0][]);
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i = all.size() - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int[] t = all.get(i);
            all.set(i, all.get(j));
            all.set(j, t);
        }
        List<int[]> chosen = new ArrayList<>(all.subList(0, cap));
        chosen.sort((x, y) -> x[0] != y[0] ? Integer.compare(x[0], y[0]) : x[1] != y[1] ? Integer.compare(x[1], y[1])
                : Integer.compare(x[2], y[2]));
        return chosen.toArray(new int[0][]);
    }
}
