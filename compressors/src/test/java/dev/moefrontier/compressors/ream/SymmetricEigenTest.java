package dev.moefrontier.compressors.ream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The eigen-solver and the PCA behind REAM's weight features. */
class SymmetricEigenTest {
    @Test
    void decomposesASymmetricMatrix() {
        Random r = new Random(4);
        int n = 40;
        double[][] b = new double[n][n];
        for (double[] row : b) {
            for (int j = 0; j < n; j++) {
                row[j] = r.nextGaussian();
            }
        }
        double[][] a = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                for (int k = 0; k < n; k++) {
                    a[i][j] += b[i][k] * b[j][k];
                }
            }
        }
        SymmetricEigen eig = SymmetricEigen.of(a);
        for (int k = 0; k < n; k++) {
            if (k > 0) {
                assertTrue(eig.values[k] <= eig.values[k - 1], "descending");
            }
            for (int i = 0; i < n; i++) {
                double av = 0;
                for (int j = 0; j < n; j++) {
                    av += a[i][j] * eig.vectors[j][k];
                }
                assertEquals(eig.values[k] * eig.vectors[i][k], av, 1e-9 * eig.values[0], "A v = lambda v");
            }
            for (int l = 0; l <= k; l++) {
                double dot = 0;
                for (int i = 0; i < n; i++) {
                    dot += eig.vectors[i][k] * eig.vectors[i][l];
                }
                assertEquals(k == l ? 1 : 0, dot, 1e-10, "orthonormal");
            }
        }
    }

    @Test
    void subspaceIterationAgreesWithTheFullDecomposition() {
        Random r = new Random(9);
        int experts = 6;
        int inter = 50;
        int d = 120;
        double[][][] rows = new double[experts][inter][d];
        double[][] basis = new double[8][d];
        for (double[] v : basis) {
            for (int t = 0; t < d; t++) {
                v[t] = r.nextGaussian();
            }
        }
        for (double[][] ex : rows) {
            for (double[] row : ex) {
                for (int k = 0; k < basis.length; k++) { // low-rank structure with decaying scales, plus noise
                    double c = r.nextGaussian() * (8 - k);
                    for (int t = 0; t < d; t++) {
                        row[t] += c * basis[k][t];
                    }
                }
                for (int t = 0; t < d; t++) {
                    row[t] += 0.01 * r.nextGaussian();
                }
            }
        }
        try (NDManager m = NDManager.newBaseManager()) {
            double[] big = WeightFeatures.project(e -> rows[e], experts, 5, m, 50); // d = 120 > 50: subspace iteration
            double[] jacobi = WeightFeatures.project(e -> rows[e], experts, 5, m, 1000);
            double[] exact = ExactPca.project(rows, 5);
            assertEquals(exact.length, big.length);
            for (int i = 0; i < exact.length; i += 5) {
                // features are unit vectors up to the sign of each component: compare |values|
                for (int k = 0; k < 5; k++) {
                    assertEquals(Math.abs(exact[i + k]), Math.abs(big[i + k]), 1e-6, "subspace feature " + i / 5 + "." + k);
                    assertEquals(Math.abs(exact[i + k]), Math.abs(jacobi[i + k]), 1e-9, "jacobi feature " + i / 5 + "." + k);
                }
            }
        }
    }

    /** An independent PCA: Jacobi on the full covariance, the reference's normalized projections. */
    static final class ExactPca {
        static double[] project(double[][][] rows, int q) {
            int n = rows.length * rows[0].length;
            int d = rows[0][0].length;
            double[] mean = new double[d];
            for (double[][] ex : rows) {
                for (double[] x : ex) {
                    for (int t = 0; t < d; t++) {
                        mean[t] += x[t] / n;
                    }
                }
            }
            double[][] c = new double[d][d];
            for (double[][] ex : rows) {
                for (double[] x : ex) {
                    for (int a = 0; a < d; a++) {
                        double xa = x[a] - mean[a];
                        for (int b = a; b < d; b++) {
                            c[a][b] += xa * (x[b] - mean[b]);
                        }
                    }
                }
            }
            for (int a = 0; a < d; a++) {
                for (int b = 0; b < a; b++) {
                    c[a][b] = c[b][a];
                }
            }
            SymmetricEigen eig = SymmetricEigen.of(c);
            double[] out = new double[n * q];
            int row = 0;
            for (double[][] ex : rows) {
                for (double[] x : ex) {
                    double norm = 0;
                    double[] p = new double[q];
                    for (int k = 0; k < q; k++) {
                        for (int t = 0; t < d; t++) {
                            p[k] += (x[t] - mean[t]) * eig.vectors[t][k];
                        }
                        p[k] *= Math.sqrt(eig.values[k]);
                        norm += p[k] * p[k];
                    }
                    for (int k = 0; k < q; k++) {
                        out[row * q + k] = p[k] / (Math.sqrt(norm) + 1e-8);
                    }
                    row++;
                }
            }
            return out;
        }
    }
}
