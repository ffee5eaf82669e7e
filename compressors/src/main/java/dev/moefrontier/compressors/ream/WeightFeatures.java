package dev.moefrontier.compressors.ream;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.moefrontier.harness.calib.CalibrationStats;
import dev.moefrontier.harness.model.HostArrays;
import dev.moefrontier.harness.model.LayerWeights;
import dev.moefrontier.harness.model.MoeTransformer;
import dev.moefrontier.harness.spi.CalibrationStatistic;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * REAM's weight features of every intermediate neuron (methods.md §7.5): neuron i of expert e is the row
 * [gate_i | up_i | down_:,i] (3H values), unit-normalized; all E·I rows are centred on their mean and projected on their
 * top {@code q} principal directions scaled by the singular values (x V_q S_q = U_q S_q², as the reference code's
 * {@code x @ (v * s)}), and each projection is unit-normalized again. The reference code takes the directions from
 * {@code torch.pca_lowrank} (randomized, two power iterations); here they are exact: the covariance is formed in float64
 * and decomposed by Jacobi rotations (dimension ≤ {@link #JACOBI_LIMIT}) or by subspace iteration (to 1e-10, at most 200 iterations).
 * Weights only: the values depend on the checkpoint, not on the calibration data. Array {@code features} [E · I · q],
 * index (e · I + i) · q + c.
 */
public final class WeightFeatures implements CalibrationStatistic.Computed {
    /** Largest feature dimension decomposed in full; above it, subspace iteration for the top components. */
    static final int JACOBI_LIMIT = 768;
    /** Most subspace iterations. */
    static final int MAX_ITERATIONS = 200;
    private final int components;

    public WeightFeatures(int components) {
        if (components < 1) {
            throw new IllegalArgumentException("pca_dim must be at least 1, got " + components);
        }
        this.components = components;
    }

    @Override
    public String name() {
        return "ream-weight-features";
    }

    @Override
    public String description() {
        return "PCA features of every expert neuron's [gate | up | down] weights (REAM)";
    }

    @Override
    public int version() {
        return 1;
    }

    @Override
    public String parameters() {
        return "pca=" + components;
    }

    /** The features of MoE layer {@code layer}: [E][I][q'] with q' = min(q, rank bound). */
    public static double[][][] of(CalibrationStats stats, WeightFeatures stat, int layer, int experts, int inter) {
        return unflatten(stats.values(stat, layer).get("features"), experts, inter);
    }

    /** Flat features [E · I · q] as [E][I][q]. */
    static double[][][] unflatten(double[] f, int experts, int inter) {
        int q = f.length / (experts * inter);
        double[][][] out = new double[experts][inter][q];
        for (int e = 0; e < experts; e++) {
            for (int i = 0; i < inter; i++) {
                System.arraycopy(f, (e * inter + i) * q, out[e][i], 0, q);
            }
        }
        return out;
    }

    /**
     * The covariance of the E·I rows of width 3H (2·E·I·(3H)² FLOPs), the eigen-decomposition (about 20·(3H)³: a few
     * sweeps or subspace iterations) and the projection of the rows onto q components (2·E·I·3H·q).
     */
    @Override
    public double estimatedFlops(dev.moefrontier.harness.model.ModelConfig c, int layer, long tokens, int windowLength) {
        double rows = (double) c.moe().numExperts() * c.moe().intermediate();
        double d = 3.0 * c.hiddenSize();
        return 2 * rows * d * d + 20 * d * d * d + 2 * rows * d * components;
    }

    /** Each layer's features come from that layer's weights only. */
    @Override
    public boolean perLayer() {
        return true;
    }

    @Override
    public Map<Integer, Map<String, double[]>> compute(Inputs in) {
        Map<Integer, Map<String, double[]>> out = new TreeMap<>();
        for (int l : in.layers()) {
            Map<String, double[]> v = new LinkedHashMap<>();
            v.put("features", layer(in.model(), l, components));
            out.put(l, v);
        }
        return out;
    }

    /** The normalized rows of one expert: [I][3H]. */
    static double[][] rows(LayerWeights.Moe w, int expert) {
        NDArray gu = w.gateUpT().get(expert); // [H, 2I]
        NDArray dn = w.downT().get(expert); // [I, H]
        int h = (int) gu.getShape().get(0);
        int inter = (int) gu.getShape().get(1) / 2;
        float[] g = HostArrays.floats(gu);
        float[] d = HostArrays.floats(dn);
        double[][] r = new double[inter][3 * h];
        for (int i = 0; i < inter; i++) {
            double[] row = r[i];
            for (int t = 0; t < h; t++) {
                row[t] = g[t * 2 * inter + i];
                row[h + t] = g[t * 2 * inter + inter + i];
                row[2 * h + t] = d[i * h + t];
            }
            double n = 0;
            for (double x : row) {
                n += x * x;
            }
            double inv = 1 / (Math.sqrt(n) + 1e-8); // the reference's normalize_rows
            for (int t = 0; t < row.length; t++) {
                row[t] *= inv;
            }
        }
        return r;
    }

    /** The features of one layer, flattened as {@link #of} reads them. */
    static double[] layer(MoeTransformer model, int layer, int components) {
        LayerWeights lw = model.weights().acquire(layer);
        try (NDManager m = model.manager().newSubManager()) {
            LayerWeights.Moe w = lw.moe();
            return project(e -> rows(w, e), w.numExperts(), components, m);
        } finally {
            model.weights().release(lw);
        }
    }

    /**
     * Centres, projects on the top principal directions scaled by the singular values, unit-normalizes. Rows are built
     * expert by expert, twice (covariance, projection), so memory is one expert's rows plus the d × d covariance.
     */
    static double[] project(java.util.function.IntFunction<double[][]> rowsOf, int experts, int components, NDManager m) {
        return project(rowsOf, experts, components, m, JACOBI_LIMIT);
    }

    static double[] project(java.util.function.IntFunction<double[][]> rowsOf, int experts, int components, NDManager m,
            int jacobiLimit) {
        int inter = 0;
        int d = 0;
        double[] sum = null;
        NDArray cov = null;
        for (int e = 0; e < experts; e++) {
            double[][] ex = rowsOf.apply(e);
            if (sum == null) {
                inter = ex.length;
                d = ex[0].length;
                sum = new double[d];
                cov = m.zeros(new Shape(d, d), DataType.FLOAT64);
            }
            for (double[] r : ex) {
                for (int t = 0; t < d; t++) {
                    sum[t] += r[t];
                }
            }
            try (NDArray x = centred(ex, new double[d], m); NDArray xtx = x.transpose().matMul(x)) {
                cov.addi(xtx);
            }
        }
        long n = (long) experts * inter;
        double[] mean = new double[d];
        for (int t = 0; t < d; t++) {
            mean[t] = sum[t] / n;
        }
        try (NDArray mu = m.create(mean, new Shape(d, 1)); NDArray outer = mu.matMul(mu.transpose()).muli((double) n)) {
            cov.subi(outer); // Σ (x − μ)(x − μ)ᵀ = Σ x xᵀ − n μ μᵀ
        }
        int q = (int) Math.min(components, Math.min(d, n));
        double[][] basis; // [d][q], scaled by the singular values
        double[] lambda;
        if (d <= jacobiLimit) {
            SymmetricEigen eig = SymmetricEigen.of(matrix(cov, d, d));
            lambda = eig.values;
            basis = new double[d][q];
            for (int t = 0; t < d; t++) {
                System.arraycopy(eig.vectors[t], 0, basis[t], 0, q);
            }
        } else {
            double[][][] r = subspace(cov, d, q, m);
            basis = r[0];
            lambda = r[1][0];
        }
        cov.close();
        for (int k = 0; k < q; k++) {
            double s = Math.sqrt(Math.max(0, lambda[k]));
            for (int t = 0; t < d; t++) {
                basis[t][k] *= s;
            }
        }
        double[] out = new double[(int) (n * q)];
        try (NDArray b = m.create(flat(basis), new Shape(d, q))) {
            for (int e = 0; e < experts; e++) {
                double[] p;
                try (NDArray x = centred(rowsOf.apply(e), mean, m); NDArray y = x.matMul(b)) {
                    p = y.toDoubleArray();
                }
                for (int i = 0; i < inter; i++) {
                    double norm = 0;
                    for (int k = 0; k < q; k++) {
                        norm += p[i * q + k] * p[i * q + k];
                    }
                    double inv = 1 / (Math.sqrt(norm) + 1e-8);
                    for (int k = 0; k < q; k++) {
                        out[(e * inter + i) * q + k] = p[i * q + k] * inv;
                    }
                }
            }
        }
        return out;
    }

    private static NDArray centred(double[][] ex, double[] mean, NDManager m) {
        int d = mean.length;
        double[] v = new double[ex.length * d];
        for (int i = 0; i < ex.length; i++) {
            for (int t = 0; t < d; t++) {
                v[i * d + t] = ex[i][t] - mean[t];
            }
        }
        return m.create(v, new Shape(ex.length, d));
    }

    /**
     * Top-{@code q} eigenpairs of the covariance by subspace iteration with 16 extra directions and a Rayleigh–Ritz step,
     * from a seeded start, until the top-q Ritz values move less than 1e-10 (relative) between iterations or for at most
     * {@link #MAX_ITERATIONS} iterations (a flat spectrum, e.g. random weights, converges slowly; its top directions are
     * then nearly interchangeable and the distances between projections barely depend on which are taken). Returns
     * {basis [d][q], {values [q]}}.
     */
    private static double[][][] subspace(NDArray cov, int d, int q, NDManager m) {
        int w = Math.min(d, q + 16);
        SplittableRandom rnd = new SplittableRandom(0);
        double[][] qm = new double[d][w];
        for (int t = 0; t < d; t++) {
            for (int k = 0; k < w; k++) {
                qm[t][k] = rnd.nextDouble() - 0.5;
            }
        }
        orthonormalize(qm);
        double[] previous = null;
        double[][] ritzVectors = null;
        double[] ritz = null;
        for (int it = 0; it < MAX_ITERATIONS; it++) {
            double[][] z;
            try (NDArray qa = m.create(flat(qm), new Shape(d, w)); NDArray za = cov.matMul(qa)) {
                z = matrix(za, d, w);
            }
            double[][] b = new double[w][w];
            for (int i = 0; i < w; i++) {
                for (int j = 0; j < w; j++) {
                    double s = 0;
                    for (int t = 0; t < d; t++) {
                        s += qm[t][i] * z[t][j];
                    }
                    b[i][j] = s;
                }
            }
            for (int i = 0; i < w; i++) { // symmetric up to rounding
                for (int j = i + 1; j < w; j++) {
                    b[i][j] = b[j][i] = (b[i][j] + b[j][i]) / 2;
                }
            }
            SymmetricEigen eig = SymmetricEigen.of(b);
            ritz = eig.values;
            ritzVectors = new double[d][w];
            for (int t = 0; t < d; t++) {
                for (int k = 0; k < w; k++) {
                    double s = 0;
                    for (int i = 0; i < w; i++) {
                        s += qm[t][i] * eig.vectors[i][k];
                    }
                    ritzVectors[t][k] = s;
                }
            }
            boolean converged = previous != null;
            for (int k = 0; k < q && converged; k++) {
                converged = Math.abs(ritz[k] - previous[k]) <= 1e-10 * Math.abs(ritz[0]);
            }
            if (converged) {
                break;
            }
            previous = ritz.clone();
            orthonormalize(z);
            qm = z;
        }
        double[][] basis = new double[d][q];
        for (int t = 0; t < d; t++) {
            System.arraycopy(ritzVectors[t], 0, basis[t], 0, q);
        }
        return new double[][][] {basis, {java.util.Arrays.copyOf(ritz, q)}};
    }

    /** Modified Gram–Schmidt on the columns of {@code a} [d][w], in place. */
    static void orthonormalize(double[][] a) {
        int d = a.length;
        int w = a[0].length;
        for (int k = 0; k < w; k++) {
            for (int j = 0; j < k; j++) {
                double dot = 0;
                for (int t = 0; t < d; t++) {
                    dot += a[t][j] * a[t][k];
                }
                for (int t = 0; t < d; t++) {
                    a[t][k] -= dot * a[t][j];
                }
            }
            double norm = 0;
            for (int t = 0; t < d; t++) {
                norm += a[t][k] * a[t][k];
            }
            double inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
            for (int t = 0; t < d; t++) {
                a[t][k] *= inv;
            }
        }
    }

    private static double[] flat(double[][] a) {
        int c = a[0].length;
        double[] f = new double[a.length * c];
        for (int i = 0; i < a.length; i++) {
            System.arraycopy(a[i], 0, f, i * c, c);
        }
        return f;
    }

    private static double[][] matrix(NDArray a, int rows, int cols) {
        double[] v = a.toDoubleArray();
        double[][] out = new double[rows][cols];
        for (int i = 0; i < rows; i++) {
            System.arraycopy(v, i * cols, out[i], 0, cols);
        }
        return out;
    }
}
