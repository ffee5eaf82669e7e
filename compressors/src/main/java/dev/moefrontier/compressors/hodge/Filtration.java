package dev.moefrontier.compressors.hodge;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The filtration and complex of methods.md §4.5. For τ, K_τ holds the pairs with b_ij ≤ τ and the candidate triangles
 * whose three edges are in K_τ with b_ijk ≤ τ; β1(τ) = |E_τ| − rank d1 − rank d2. The grid has {@code steps} points from
 * the minimum to the median pair barrier (the last exactly the median); τ* is the smallest grid value attaining the
 * maximum β1, and K = K_τ*.
 *
 * <p>The complex only grows with τ, so one sweep computes every β1: rank d1 = n − (connected components) by union-find,
 * rank d2 by incremental exact column reduction of the triangles' boundary columns (see {@link ModularColumns}).
 */
public final class Filtration {

    /**
     * @param grid the τ grid
     * @param betti β1 at each grid value
     * @param tauStar τ*
     * @param betti1 β1(τ*)
     * @param edges edges of K, lexicographic
     * @param faces indices of K's faces among the candidates, in candidate order
     */
    public record Result(double[] grid, int[] betti, double tauStar, int betti1, int[][] edges, int[] faces) {}

    private Filtration() {}

    /** Median of the pair barriers b_ij, i &lt; j (mean of the two middle values for an even count). */
    static double median(double[][] b) {
        double[] v = upper(b);
        Arrays.sort(v);
        int m = v.length;
        return m % 2 == 1 ? v[m / 2] : (v[m / 2 - 1] + v[m / 2]) / 2;
    }

    /** The pair values b_ij, i &lt; j, row by row. */
    static double[] upper(double[][] b) {
        int n = b.length;
        double[] v = new double[n * (n - 1) / 2];
        int c = 0;
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                v[c++] = b[i][j];
            }
        }
        return v;
    }

    /** The τ grid: lo + i·((hi − lo)/(steps − 1)) for i &lt; steps − 1, and exactly hi last. */
    static double[] grid(double lo, double hi, int steps) {
        double[] g = new double[steps];
        double delta = (hi - lo) / (steps - 1);
        for (int i = 0; i < steps - 1; i++) {
            g[i] = lo + i * delta;
        }
        g[steps - 1] = hi;
        return g;
    }

    public static Result compute(HodgeInput in, int steps) {
        return compute(in, steps, HodgeParams.Grid.MIN_MEDIAN);
    }

    /** The filtration on the τ range {@code range} names. */
    public static Result compute(HodgeInput in, int steps, HodgeParams.Grid range) {
        int n = in.n();
        double[][] b = in.pairBarriers();
        double lo = range == HodgeParams.Grid.ZERO_1_1MAX ? 0 : Arrays.stream(upper(b)).min().orElse(0);
        double hi = range == HodgeParams.Grid.ZERO_1_1MAX ? 1.1 * Arrays.stream(upper(b)).max().orElse(0) : median(b);
        double[] grid = grid(lo, hi, steps);

        // Edges (all pairs) in order of appearance; ids are lexicographic pair indices.
        int m = n * (n - 1) / 2;
        int[][] pairs = new int[m][];
        int c = 0;
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                pairs[c++] = new int[] {i, j};
            }
        }
        Integer[] edgeOrder = order(m, e -> b[pairs[e][0]][pairs[e][1]]);
        int t = in.candidates().length;
        double[] appear = new double[t];
        for (int f = 0; f < t; f++) {
            int[] tri = in.candidates()[f];
            appear[f] = Math.max(Math.max(b[tri[0]][tri[1]], b[tri[0]][tri[2]]), Math.max(b[tri[1]][tri[2]], in.tripletBarriers()[f]));
        }
        Integer[] faceOrder = order(t, f -> appear[f]);

        int[] parent = new int[n];
        for (int i = 0; i < n; i++) {
            parent[i] = i;
        }
        int components = n;
        ModularColumns d2 = new ModularColumns();
        int[] betti = new int[steps];
        int ei = 0;
        int fi = 0;
        for (int g = 0; g < steps; g++) {
            double tau = grid[g];
            while (ei < m && b[pairs[edgeOrder[ei]][0]][pairs[edgeOrder[ei]][1]] <= tau) {
                int[] p = pairs[edgeOrder[ei]];
                int ra = find(parent, p[0]);
                int rb = find(parent, p[1]);
                if (ra != rb) {
                    parent[Math.max(ra, rb)] = Math.min(ra, rb);
                    components--;
                }
                ei++;
            }
            while (fi < t && appear[faceOrder[fi]] <= tau) {
                d2.add(boundary(in.candidates()[faceOrder[fi]], n));
                fi++;
            }
            betti[g] = ei - (n - components) - d2.rank();
        }
        int best = 0;
        for (int g = 1; g < steps; g++) {
            if (betti[g] > betti[best]) {
                best = g;
            }
        }
        double tauStar = grid[best];
        List<int[]> edges = new ArrayList<>();
        for (int[] p : pairs) { // lexicographic
            if (b[p[0]][p[1]] <= tauStar) {
                edges.add(p);
            }
        }
        List<Integer> faces = new ArrayList<>();
        for (int f = 0; f < t; f++) { // candidate order
            if (appear[f] <= tauStar) {
                faces.add(f);
            }
        }
        return new Result(grid, betti, tauStar, betti[best], edges.toArray(new int[0][]),
                faces.stream().mapToInt(Integer::intValue).toArray());
    }

    /** Boundary of triangle (i, j, k): (j,k) − (i,k) + (i,j), keyed by lexicographic edge id. */
    static Map<Integer, Long> boundary(int[] tri, int n) {
        Map<Integer, Long> col = new HashMap<>();
        col.put(edgeId(tri[1], tri[2], n), 1L);
        col.put(edgeId(tri[0], tri[2], n), -1L);
        col.put(edgeId(tri[0], tri[1], n), 1L);
        return col;
    }

    /** Lexicographic index of pair (i, j), i &lt; j, among all pairs of n vertices. */
    static int edgeId(int i, int j, int n) {
        return i * n - i * (i + 1) / 2 + (j - i - 1);
    }

    private static Integer[] order(int count, java.util.function.IntToDoubleFunction key) {
        Integer[] o = new Integer[count];
        for (int i = 0; i < count; i++) {
            o[i] = i;
        }
        Arrays.sort(o, (x, y) -> {
            int cmp = Double.compare(key.applyAsDouble(x), key.applyAsDouble(y));
            return cmp != 0 ? cmp : Integer.compare(x, y);
        });
        return o;
    }

    static int find(int[] parent, int x) {
        while (parent[x] != x) {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        return x;
    }
}
