package dev.moefrontier.compressors.ream;

import java.util.Arrays;

/**
 * Exact minimum-cost linear assignment (the Hungarian method in its shortest-augmenting-path form, as Jonker and
 * Volgenant and SciPy's {@code linear_sum_assignment} solve it): rows are assigned to distinct columns so that the sum of
 * their costs is smallest. O(n² m) for n rows and m ≥ n columns. REAM aligns the neurons of two experts with it
 * (methods.md §7); it is exact, so two machines agree whenever the costs do.
 */
public final class LinearAssignment {
    private LinearAssignment() {}

    /**
     * The column of every row in a minimum-cost assignment of {@code cost} [n][m], n ≤ m. Costs must be finite.
     * Ties between optimal assignments go to the one the augmenting-path order finds first (deterministic).
     */
    public static int[] solve(double[][] cost) {
        int n = cost.length;
        if (n == 0) {
            return new int[0];
        }
        int m = cost[0].length;
        if (m < n) {
            throw new IllegalArgumentException("an assignment needs at least as many columns as rows (" + n + " x " + m + ")");
        }
        for (double[] row : cost) {
            if (row.length != m) {
                throw new IllegalArgumentException("cost rows of different lengths");
            }
            for (double c : row) {
                if (!Double.isFinite(c)) {
                    throw new IllegalArgumentException("a cost is not finite: " + c);
                }
            }
        }
        // Potentials u (rows, 1-based) and v (columns, 1-based); p[j] = row matched to column j (0 = none).
        double[] u = new double[n + 1];
        double[] v = new double[m + 1];
        int[] p = new int[m + 1];
        int[] way = new int[m + 1];
        double[] minv = new double[m + 1];
        boolean[] used = new boolean[m + 1];
        for (int i = 1; i <= n; i++) {
            p[0] = i;
            int j0 = 0;
            Arrays.fill(minv, Double.POSITIVE_INFINITY);
            Arrays.fill(used, false);
            do { // grow a shortest-path tree from row i until it reaches a free column
                used[j0] = true;
                int i0 = p[j0];
                double delta = Double.POSITIVE_INFINITY;
                int j1 = -1;
                for (int j = 1; j <= m; j++) {
                    if (!used[j]) {
                        double cur = cost[i0 - 1][j - 1] - u[i0] - v[j];
                        if (cur < minv[j]) {
                            minv[j] = cur;
                            way[j] = j0;
                        }
                        if (minv[j] < delta) {
                            delta = minv[j];
                            j1 = j;
                        }
                    }
                }
                for (int j = 0; j <= m; j++) {
                    if (used[j]) {
                        u[p[j]] += delta;
                        v[j] -= delta;
                    } else {
                        minv[j] -= delta;
                    }
                }
                j0 = j1;
            } while (p[j0] != 0);
            do { // augment along the path
                int j1 = way[j0];
                p[j0] = p[j1];
                j0 = j1;
            } while (j0 != 0);
        }
        int[] rowToCol = new int[n];
        for (int j = 1; j <= m; j++) {
            if (p[j] != 0) {
                rowToCol[p[j] - 1] = j - 1;
            }
        }
        return rowToCol;
    }

    /** The total cost of an assignment. */
    public static double cost(double[][] cost, int[] rowToCol) {
        double s = 0;
        for (int i = 0; i < rowToCol.length; i++) {
            s += cost[i][rowToCol[i]];
        }
        return s;
    }
}
