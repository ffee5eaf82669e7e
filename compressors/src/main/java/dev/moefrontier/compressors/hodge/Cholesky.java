package dev.moefrontier.compressors.hodge;

/** Dense Cholesky factorization and solves for the small SPD systems of the Hodge projections (double precision). */
final class Cholesky {
    private final int n;
    private final double[] l; // row-major lower factor

    Cholesky(double[][] a) {
        n = a.length;
        l = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                double s = a[i][j];
                for (int k = 0; k < j; k++) {
                    s -= l[i * n + k] * l[j * n + k];
                }
                if (i == j) {
                    if (!(s > 0)) {
                        throw new IllegalStateException("matrix is not positive definite (pivot " + s + " at " + i + ")");
                    }
                    l[i * n + i] = Math.sqrt(s);
                } else {
                    l[i * n + j] = s / l[j * n + j];
                }
            }
        }
    }

    /** Solves A x = rhs, with one step of iterative refinement against {@code a}. */
    double[] solve(double[][] a, double[] rhs) {
        double[] x = substitute(rhs);
        double[] r = new double[n];
        for (int i = 0; i < n; i++) {
            double s = rhs[i];
            for (int j = 0; j < n; j++) {
                s -= a[i][j] * x[j];
            }
            r[i] = s;
        }
        double[] dx = substitute(r);
        for (int i = 0; i < n; i++) {
            x[i] += dx[i];
        }
        return x;
    }

    private double[] substitute(double[] rhs) {
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            double s = rhs[i];
            for (int k = 0; k < i; k++) {
                s -= l[i * n + k] * y[k];
            }
            y[i] = s / l[i * n + i];
        }
        double[] x = new double[n];
        for (int i = n - 1; i >= 0; i--) {
            double s = y[i];
            for (int k = i + 1; k < n; k++) {
                s -= l[k * n + i] * x[k];
            }
            x[i] = s / l[i * n + i];
        }
        return x;
    }
}
