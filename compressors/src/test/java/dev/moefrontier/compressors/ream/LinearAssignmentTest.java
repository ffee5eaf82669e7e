package dev.moefrontier.compressors.ream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The assignment solver against brute force on every small shape, and its edge cases. */
class LinearAssignmentTest {

    /** The smallest total over every injective row → column map, by exhaustive search. */
    private static double bruteForce(double[][] c) {
        return search(c, 0, new boolean[c[0].length]);
    }

    private static double search(double[][] c, int row, boolean[] taken) {
        if (row == c.length) {
            return 0;
        }
        double best = Double.POSITIVE_INFINITY;
        for (int j = 0; j < taken.length; j++) {
            if (!taken[j]) {
                taken[j] = true;
                best = Math.min(best, c[row][j] + search(c, row + 1, taken));
                taken[j] = false;
            }
        }
        return best;
    }

    @Test
    void matchesBruteForceOnRandomSquareAndRectangularMatrices() {
        Random r = new Random(7);
        for (int trial = 0; trial < 400; trial++) {
            int n = 1 + r.nextInt(6);
            int m = n + r.nextInt(3);
            double[][] c = new double[n][m];
            for (double[] row : c) {
                for (int j = 0; j < m; j++) {
                    // integers make ties common (several optima); reals check the general case
                    row[j] = trial % 2 == 0 ? r.nextInt(5) : r.nextGaussian() * 10;
                }
            }
            int[] a = LinearAssignment.solve(c);
            Set<Integer> cols = new HashSet<>();
            for (int x : a) {
                cols.add(x);
            }
            assertEquals(n, cols.size(), "distinct columns");
            assertEquals(bruteForce(c), LinearAssignment.cost(c, a), 1e-9, "optimal on trial " + trial);
        }
    }

    @Test
    void knownCasesAndBadInput() {
        assertArrayEquals(new int[] {1, 0, 2}, LinearAssignment.solve(new double[][] {{4, 1, 3}, {2, 0, 5}, {3, 2, 2}}));
        double[][] tied = {{3, 2, 1}, {3, 2, 1}, {1, 3, 3}}; // rows 0 and 1 tie for columns 1 and 2
        int[] t = LinearAssignment.solve(tied);
        assertEquals(0, t[2]);
        assertEquals(4.0, LinearAssignment.cost(tied, t));
        assertArrayEquals(t, LinearAssignment.solve(tied), "the same answer every time");
        // a permutation cost recovers the permutation (the alignment case: neuron i of A is neuron perm[i] of B)
        int[] perm = {3, 0, 4, 1, 2};
        double[][] c = new double[5][5];
        for (int i = 0; i < 5; i++) {
            for (int j = 0; j < 5; j++) {
                c[i][j] = j == perm[i] ? 0 : 1 + i + j;
            }
        }
        assertArrayEquals(perm, LinearAssignment.solve(c));
        assertArrayEquals(new int[0], LinearAssignment.solve(new double[0][]));
        assertThrows(IllegalArgumentException.class, () -> LinearAssignment.solve(new double[][] {{1}, {2}}));
        assertThrows(IllegalArgumentException.class, () -> LinearAssignment.solve(new double[][] {{Double.NaN, 1}}));
    }
}
