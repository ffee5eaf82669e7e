package dev.moefrontier.harness.calib;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.moefrontier.harness.model.ForwardObserver;
import dev.moefrontier.harness.model.ModelConfig;
import dev.moefrontier.harness.model.MoeLayerEvent;
import dev.moefrontier.harness.model.Ops;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Accumulates calibration statistics from MoE events. Reductions run on the device in float32 per batch; the running
 * sums are kept in double precision. Gate weights g are the weights the model actually uses (renormalized when the
 * family does), as methods.md §3 requires.
 */
public final class StatsCollector implements ForwardObserver {
    private final ModelConfig cfg;
    private final Set<Statistic> wanted;
    private final Map<Integer, LayerStats> layers = new TreeMap<>();

    public StatsCollector(ModelConfig cfg, Set<Statistic> wanted) {
        this.cfg = cfg;
        this.wanted = EnumSet.copyOf(wanted);
        this.wanted.add(Statistic.ROUTING);
    }

    public Set<Statistic> collected() {
        return wanted;
    }

    /** The statistics gathered so far (live objects). */
    public Map<Integer, LayerStats> layers() {
        return layers;
    }

    @Override
    public void onMoe(MoeLayerEvent e) {
        int numExperts = e.numExperts();
        LayerStats s = layers.computeIfAbsent(e.layer(), l -> new LayerStats(l, numExperts, cfg.hiddenSize(),
                cfg.moe().intermediate(), cfg.moe().sharedIntermediate()));
        int n = e.batch().rows();
        s.tokens += n;
        MoeLayerEvent.Assignments a = e.assignments();
        float[] weights = e.topkWeightArray();
        float[] norms = wanted.contains(Statistic.OUTPUT_NORMS) ? e.routedOutputNorms() : null;
        int betas = norms == null ? 1 : LayerStats.POWERS;
        for (int ex = 0; ex < numExperts; ex++) {
            for (int i = a.offsets()[ex]; i < a.offsets()[ex + 1]; i++) {
                double g = weights[a.flat()[i]];
                s.counts[ex]++;
                double f = norms == null ? 0 : norms[i];
                double ga = 1;
                for (int alpha = 0; alpha < LayerStats.POWERS; alpha++) {
                    double fb = 1;
                    for (int beta = 0; beta < betas; beta++) {
                        s.moments[(alpha * LayerStats.POWERS + beta) * numExperts + ex] += ga * fb;
                        fb *= f;
                    }
                    ga *= g;
                }
            }
        }
        if (wanted.contains(Statistic.WANDA_INPUTS)) {
            wanda(e, s, a, n);
        }
        if (wanted.contains(Statistic.ROUTER_GRAM)) {
            NDArray z = e.routerLogits(); // [N, E]
            s.gram = add(s.gram, z.transpose().matMul(z)); // [E, E]
        }
        if (wanted.contains(Statistic.MEAN_OUTPUTS)) {
            double[] sum = s.outSum == null ? new double[numExperts * s.hidden] : s.outSum;
            for (int ex = 0; ex < numExperts; ex++) {
                float[] o = e.expertOutput(ex).sum(new int[] {0}).toType(DataType.FLOAT32, false).toFloatArray();
                for (int j = 0; j < s.hidden; j++) {
                    sum[ex * s.hidden + j] += o[j];
                }
            }
            s.outSum = sum;
        }
    }

    /** Σ X_j² of each expert linear layer's inputs over its routed tokens (methods.md §5), and of the shared expert. */
    private static void wanda(MoeLayerEvent e, LayerStats s, MoeLayerEvent.Assignments a, int n) {
        NDArray x = e.input(); // [N, H]
        NDManager m = x.getManager();
        NDArray x2 = x.square();
        int numExperts = e.numExperts();
        float[] route = new float[numExperts * n]; // [E, N]: 1 where row r is routed to expert e
        for (int ex = 0; ex < numExperts; ex++) {
            for (int i = a.offsets()[ex]; i < a.offsets()[ex + 1]; i++) {
                route[ex * n + a.row(i)] += 1f;
            }
        }
        s.wandaIn = add(s.wandaIn, m.create(route, new Shape(numExperts, n)).matMul(x2)); // [E, H]
        double[] mid = s.wandaMid == null ? new double[numExperts * s.intermediate] : s.wandaMid;
        if (batchedIntermediate(e, a, x, mid, s.intermediate)) {
            s.wandaMid = mid;
        } else {
            perExpertIntermediate(e, a, x, mid, s.intermediate);
            s.wandaMid = mid;
        }
        if (e.weights().sharedGateUpT() != null) {
            s.sharedIn = add(s.sharedIn, x2.sum(new int[] {0}));
            s.sharedMid = add(s.sharedMid, intermediate(x, e.weights().sharedGateUpT()).square().sum(new int[] {0}));
        }
    }

    /** Elements of the padded [E, cap, 2I] intermediate above which experts are done one by one instead. */
    static final long BATCHED_LIMIT = 1L << 25;

    /**
     * Σ over routed rows of the down projection's input squared, all experts in one batched matmul: rows gathered into a
     * zero-padded [E, cap, H] block (padding rows give silu(0)·0 = 0). False when no stack or the block is too large.
     */
    private static boolean batchedIntermediate(MoeLayerEvent e, MoeLayerEvent.Assignments a, NDArray x, double[] mid, int inter) {
        NDArray stack = e.gateUpStack();
        int numExperts = e.numExperts();
        int cap = 0;
        for (int ex = 0; ex < numExperts; ex++) {
            cap = Math.max(cap, a.count(ex));
        }
        if (stack == null || cap == 0 || (long) numExperts * cap * 2 * inter > BATCHED_LIMIT) {
            return false;
        }
        NDManager m = x.getManager();
        long n = x.getShape().get(0);
        long[] idx = new long[numExperts * cap];
        java.util.Arrays.fill(idx, n); // the zero row
        for (int ex = 0; ex < numExperts; ex++) {
            for (int i = 0; i < a.count(ex); i++) {
                idx[ex * cap + i] = a.row(a.offsets()[ex] + i);
            }
        }
        try (NDManager scope = m.newSubManager()) {
            NDArray xz = x.concat(scope.zeros(new Shape(1, x.getShape().get(1)), x.getDataType()), 0); // [N+1, H]
            NDArray xs = xz.get(new NDIndex("{}", scope.create(idx))).reshape(numExperts, cap, -1); // [E, cap, H]
            NDArray sq = intermediate(xs, stack).square().sum(new int[] {1}); // [E, I]
            float[] f = sq.toType(DataType.FLOAT32, false).toFloatArray();
            for (int i = 0; i < f.length; i++) {
                mid[i] += f[i];
            }
            xz.close();
            xs.close();
            sq.close();
        }
        return true;
    }

    private static void perExpertIntermediate(MoeLayerEvent e, MoeLayerEvent.Assignments a, NDArray x, double[] mid, int inter) {
        NDManager m = x.getManager();
        int numExperts = e.numExperts();
        for (int ex = 0; ex < numExperts; ex++) {
            int cnt = a.count(ex);
            if (cnt == 0) {
                continue;
            }
            long[] rows = new long[cnt];
            for (int i = 0; i < cnt; i++) {
                rows[i] = a.row(a.offsets()[ex] + i);
            }
            NDArray xe = x.get(new NDIndex("{}", m.create(rows))); // [n_e, H]
            float[] sq = intermediate(xe, e.gateUpT(ex)).square().sum(new int[] {0}).toType(DataType.FLOAT32, false).toFloatArray();
            for (int j = 0; j < inter; j++) {
                mid[ex * inter + j] += sq[j];
            }
        }
    }

    /** The input of a SwiGLU's down projection: silu(gate x) * up x. */
    static NDArray intermediate(NDArray x, NDArray gateUpT) {
        NDArray h = x.matMul(gateUpT);
        long inter = h.getShape().getLastDimension() / 2;
        return Ops.silu(h.get(new NDIndex("..., :{}", inter))).muli(h.get(new NDIndex("..., {}:", inter)));
    }

    private static double[] add(double[] acc, NDArray v) {
        float[] f = v.toType(DataType.FLOAT32, false).toFloatArray();
        double[] out = acc == null ? new double[f.length] : acc;
        for (int i = 0; i < f.length; i++) {
            out[i] += f[i];
        }
        return out;
    }

    /** The collected statistics. */
    public CalibrationStats result(Map<String, String> meta) {
        return new CalibrationStats(wanted, layers, meta);
    }
}
