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

    public static int[][] triangles(double[][] b, int cap, long seed) {
        int n = b.length;
        double med = Filtration.median(b);
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
