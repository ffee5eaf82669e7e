package dev.moefrontier.compressors.hodge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Invariants of the decomposition on random complexes, and β1 against the kernel of the Hodge Laplacian L1. */
class HodgeInvariantsTest {

    /** Random symmetric barriers with a few planted low clusters, so K has cycles and faces. */
    static HodgeInput random(int n, long seed, int cap) {
        Random r = new Random(seed);
        double[][] b = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                double v = (i % 3 == j % 3) ? 0.05 + 0.1 * r.nextDouble() : 0.1 + r.nextDouble();
                b[i][j] = b[j][i] = v;
            }
        }
        int[][] cands = Candidates.triangles(b, cap, seed);
        double[] tb = new double[cands.length];
        for (int f = 0; f < tb.length; f++) {
            int[] t = cands[f];
            double m = Math.max(Math.max(b[t[0]][t[1]], b[t[0]][t[2]]), b[t[1]][t[2]]);
            tb[f] = m * (r.nextBoolean() ? 1.0 : 3.0); // half the faces fill in, half stay open
        }
        double[] sal = new double[n];
        for (int i = 0; i < n; i++) {
            sal[i] = r.nextDouble();
        }
        return new HodgeInput(b, cands, tb, sal, n / 2);
    }

    @ParameterizedTest
    @ValueSource(ints = {5, 8, 12, 20, 40})
    void partsAreOrthogonalSumToBAndHarmIsHarmonic(int n) {
        for (long seed = 0; seed < 4; seed++) {
            HodgeInput in = random(n, seed, 500);
            HodgeResult r = HodgeCover.run(in, HodgeParams.defaults());
            int[][] edges = r.edges();
            double[] b = new double[edges.length];
            for (int e = 0; e < b.length; e++) {
                b[e] = in.pairBarriers()[edges[e][0]][edges[e][1]];
            }
            HodgeDecomposition.Result d = r.decomposition();
            double scale = dot(b, b);
            assertTrue(Math.abs(dot(d.grad(), d.curl())) <= 1e-9 * scale, "grad ⊥ curl");
            assertTrue(Math.abs(dot(d.grad(), d.harm())) <= 1e-9 * scale, "grad ⊥ harm");
            assertTrue(Math.abs(dot(d.curl(), d.harm())) <= 1e-9 * scale, "curl ⊥ harm");
            for (int e = 0; e < b.length; e++) {
                assertEquals(b[e], d.grad()[e] + d.curl()[e] + d.harm()[e], 1e-9 * Math.abs(b[e]) + 1e-15, "sum");
            }
            double[] l1h = laplacian1(n, edges, r.faces(), d.harm());
            assertTrue(Math.sqrt(dot(l1h, l1h)) <= 1e-9 * Math.sqrt(scale), "L1 harm = 0");
            assertEquals(d.harmonicEnergyFraction(), dot(d.harm(), d.harm()) / scale, 1e-12);
            assertEquals(in.keep(), r.selection().selected().length);
            assertEquals(n - in.keep(), r.selection().redirect().size());
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {4, 6, 9, 12})
    void betti1EqualsTheKernelDimensionOfL1(int n) {
        int nontrivial = 0;
        for (long seed = 0; seed < 6; seed++) {
            HodgeInput in = random(n, 100 + seed, 500);
            HodgeResult r = HodgeCover.run(in, HodgeParams.defaults());
            int m = r.edges().length;
            double[][] l1 = new double[m][m];
            for (int c = 0; c < m; c++) {
                double[] unit = new double[m];
                unit[c] = 1;
                double[] col = laplacian1(n, r.edges(), r.faces(), unit);
                for (int row = 0; row < m; row++) {
                    l1[row][c] = col[row];
                }
            }
            int zeros = 0;
            for (double ev : jacobiEigenvalues(l1)) {
                if (Math.abs(ev) < 1e-9) {
                    zeros++;
                }
            }
            assertEquals(zeros, r.filtration().betti1(), "n=" + n + " seed=" + seed + ": β1 = dim ker L1");
            nontrivial += zeros > 0 && r.faces().length > 0 ? 1 : 0;
        }
        assertTrue(n < 6 || nontrivial > 0, "cases with both cycles and faces are exercised");
    }

    /** L1 x = d1ᵀ d1 x + d2 d2ᵀ x for a 1-cochain x on K. */
    static double[] laplacian1(int n, int[][] edges, int[][] faces, double[] x) {
        int m = edges.length;
        Map<Long, Integer> index = new HashMap<>();
        for (int e = 0; e < m; e++) {
            index.put(edges[e][0] * 100_000L + edges[e][1], e);
        }
        double[] div = new double[n];
        for (int e = 0; e < m; e++) {
            div[edges[e][0]] -= x[e];
            div[edges[e][1]] += x[e];
        }
        double[] out = new double[m];
        for (int e = 0; e < m; e++) {
            out[e] = div[edges[e][1]] - div[edges[e][0]];
        }
        for (int[] f : faces) {
            int ij = index.get(f[0] * 100_000L + f[1]);
            int ik = index.get(f[0] * 100_000L + f[2]);
            int jk = index.get(f[1] * 100_000L + f[2]);
            double circ = x[jk] - x[ik] + x[ij]; // d2ᵀ x for this face
            out[jk] += circ;
            out[ik] -= circ;
            out[ij] += circ;
        }
        return out;
    }

    /** Eigenvalues of a symmetric matrix by cyclic Jacobi rotations (independent of the code under test). */
    static double[] jacobiEigenvalues(double[][] a0) {
        int n = a0.length;
        double[][] a = new double[n][];
        for (int i = 0; i < n; i++) {
            a[i] = a0[i].clone();
        }
        for (int sweep = 0; sweep < 100; sweep++) {
            double off = 0;
            for (int p = 0; p < n; p++) {
                for (int q = p + 1; q < n; q++) {
                    off += a[p][q] * a[p][q];
                }
            }
            if (off < 1e-24) {
                break;
            }
            for (int p = 0; p < n; p++) {
                for (int q = p + 1; q < n; q++) {
                    if (Math.abs(a[p][q]) < 1e-300) {
                        continue;
                    }
                    double theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
                    double t = Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
                    if (theta == 0) {
                        t = 1;
                    }
                    double c = 1 / Math.sqrt(t * t + 1);
                    double s = t * c;
                    for (int k = 0; k < n; k++) {
                        double akp = a[k][p];
                        double akq = a[k][q];
                        a[k][p] = c * akp - s * akq;
                        a[k][q] = s * akp + c * akq;
                    }
                    for (int k = 0; k < n; k++) {
                        double apk = a[p][k];
                        double aqk = a[q][k];
                        a[p][k] = c * apk - s * aqk;
                        a[q][k] = s * apk + c * aqk;
                    }
                }
            }
        }
        double[] ev = new double[n];
        for (int i = 0; i < n; i++) {
            ev[i] = a[i][i];
        }
        return ev;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }
}
