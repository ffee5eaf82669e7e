package dev.moefrontier.compressors.hodge;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Hodge decomposition of the pair-barrier 1-cochain b on K (methods.md §4.6): grad = d1ᵀ L0⁺ d1 b,
 * curl = d2 (d2ᵀ d2)⁺ d2ᵀ b, harm = b − grad − curl. Both projections are computed exactly (in double precision) from
 * small dense SPD systems: the grounded graph Laplacian (one vertex fixed per connected component, which removes L0's
 * kernel without changing d1ᵀ x) and the Gram matrix of a maximal independent set of triangle boundaries (same column
 * space as d2, so the same projection).
 */
public final class HodgeDecomposition {

    /** The three parts, one value per edge of K, and ||harm||² / ||b||². */
    public record Result(double[] grad, double[] curl, double[] harm, double harmonicEnergyFraction) {}

    private HodgeDecomposition() {}

    /**
     * @param n vertices
     * @param edges edges of K [i, j], i &lt; j
     * @param faces faces of K [i, j, k]
     * @param b the cochain, one value per edge
     */
    public static Result decompose(int n, int[][] edges, int[][] faces, double[] b) {
        int m = edges.length;
        double[] grad = gradient(n, edges, b);
        double[] curl = curl(n, edges, faces, b);
        double[] harm = new double[m];
        double hh = 0;
        double bb = 0;
        for (int e = 0; e < m; e++) {
            harm[e] = b[e] - grad[e] - curl[e];
            hh += harm[e] * harm[e];
            bb += b[e] * b[e];
        }
        return new Result(grad, curl, harm, bb == 0 ? 0 : hh / bb);
    }

    /** Projection of b onto im(d1ᵀ): potentials x solve the grounded Laplacian system; grad_e = x_j − x_i. */
    static double[] gradient(int n, int[][] edges, double[] b) {
        int m = edges.length;
        int[] parent = new int[n];
        for (int i = 0; i < n; i++) {
            parent[i] = i;
        }
        for (int[] e : edges) {
            int ra = Filtration.find(parent, e[0]);
            int rb = Filtration.find(parent, e[1]);
            if (ra != rb) {
                parent[Math.max(ra, rb)] = Math.min(ra, rb);
            }
        }
        int[] index = new int[n]; // reduced index of each non-ground vertex, −1 for grounds
        int r = 0;
        for (int v = 0; v < n; v++) {
            index[v] = Filtration.find(parent, v) == v ? -1 : r++;
        }
        double[] x = new double[n];
        if (r > 0) {
            double[][] lap = new double[r][r];
            double[] div = new double[r];
            for (int e = 0; e < m; e++) {
                int i = index[edges[e][0]];
                int j = index[edges[e][1]];
                // d1 has −1 at i and +1 at j: (d1 b)_v = Σ (into v) − Σ (out of v)
                if (i >= 0) {
                    lap[i][i] += 1;
                    div[i] -= b[e];
                }
                if (j >= 0) {
                    lap[j][j] += 1;
                    div[j] += b[e];
                }
                if (i >= 0 && j >= 0) {
                    lap[i][j] -= 1;
                    lap[j][i] -= 1;
                }
            }
            double[] sol = new Cholesky(lap).solve(lap, div);
            for (int v = 0; v < n; v++) {
                x[v] = index[v] < 0 ? 0 : sol[index[v]];
            }
        }
        double[] grad = new double[m];
        for (int e = 0; e < m; e++) {
            grad[e] = x[edges[e][1]] - x[edges[e][0]];
        }
        return grad;
    }

    /** Projection of b onto im(d2), through an independent set of triangle boundaries. */
    static double[] curl(int n, int[][] edges, int[][] faces, double[] b) {
        int m = edges.length;
        double[] curl = new double[m];
        if (faces.length == 0) {
            return curl;
        }
        Map<Integer, Integer> edgeIndex = new HashMap<>();
        for (int e = 0; e < m; e++) {
            edgeIndex.put(Filtration.edgeId(edges[e][0], edges[e][1], n), e);
        }
        ModularColumns independence = new ModularColumns();
        List<int[]> rows = new ArrayList<>(); // per independent face: edge indices
        List<int[]> signs = new ArrayList<>();
        for (int[] f : faces) {
            Map<Integer, Long> col = Filtration.boundary(f, n);
            if (independence.add(col)) {
                int[] idx = new int[3];
                int[] sg = new int[3];
                int k = 0;
                for (Map.Entry<Integer, Long> en : col.entrySet()) {
                    Integer e = edgeIndex.get(en.getKey());
                    if (e == null) {
                        throw new IllegalArgumentException("face " + java.util.Arrays.toString(f) + " has an edge outside K");
                    }
                    idx[k] = e;
                    sg[k] = en.getValue().intValue();
                    k++;
                }
                rows.add(idx);
                signs.add(sg);
            }
        }
        int r = rows.size();
        // Gram matrix G = Bᵀ B over the independent boundaries, and Bᵀ b.
        Map<Integer, List<int[]>> byEdge = new HashMap<>(); // edge -> (face, sign)
        double[] rhs = new double[r];
        for (int a = 0; a < r; a++) {
            for (int k = 0; k < 3; k++) {
                byEdge.computeIfAbsent(rows.get(a)[k], z -> new ArrayList<>()).add(new int[] {a, signs.get(a)[k]});
                rhs[a] += signs.get(a)[k] * b[rows.get(a)[k]];
            }
        }
        double[][] gram = new double[r][r];
        for (List<int[]> incident : byEdge.values()) {
            for (int[] u : incident) {
                for (int[] v : incident) {
                    gram[u[0]][v[0]] += u[1] * v[1];
                }
            }
        }
        double[] y = new Cholesky(gram).solve(gram, rhs);
        for (int a = 0; a < r; a++) {
            for (int k = 0; k < 3; k++) {
                curl[rows.get(a)[k]] += signs.get(a)[k] * y[a];
            }
        }
        return curl;
    }
}
