package dev.moefrontier.compressors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.moefrontier.harness.spi.CalibrationStatistic;
import dev.moefrontier.harness.calib.CalibrationStats;
import dev.moefrontier.harness.model.ModelConfig;
import dev.moefrontier.harness.model.MoeLayerEvent;
import dev.moefrontier.harness.model.Ops;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Wanda's input norms (methods.md §5): Σ X_j² of every routed expert's linear layers' inputs over its routed tokens, and
 * of the shared expert over all tokens. Reductions run on the device in float32 per batch; sums are kept in double.
 * Arrays: {@code in} [E * H] (gate/up input), {@code mid} [E * I] (down input, silu(gate x) * up x), and when the family
 * has a shared expert {@code shared_in} [H], {@code shared_mid} [SI].
 */
public final class WandaInputs implements CalibrationStatistic.Streamed {
    public static final WandaInputs STATISTIC = new WandaInputs();

    private WandaInputs() {}

    @Override
    public String name() {
        return "wanda-inputs";
    }

    @Override
    public String description() {
        return "sum of squared inputs of every expert linear layer over its routed tokens (Wanda)";
    }

    @Override
    public int version() {
        return 1;
    }

    /** The norms of MoE layer {@code layer}, read from {@code stats}. */
    public static Layer of(CalibrationStats stats, int layer) {
        return new Layer(stats.values(STATISTIC, layer), stats.layer(layer).tokens());
    }

    /** A typed view of one layer's arrays. */
    public static final class Layer {
        private final Map<String, double[]> v;
        private final long tokens;
        private final int experts;

        Layer(Map<String, double[]> v, long tokens) {
            this.v = v;
            this.tokens = tokens;
            this.experts = (int) v.get("experts")[0];
        }

        /** Σ x_j² over X_e for the gate/up input (j < H). */
        public double[] input(int e) {
            double[] in = v.get("in");
            int h = in.length / experts;
            return Arrays.copyOfRange(in, e * h, (e + 1) * h);
        }

        /** Σ a_j² over X_e for the down input (j < I). */
        public double[] intermediate(int e) {
            double[] mid = v.get("mid");
            int i = mid.length / experts;
            return Arrays.copyOfRange(mid, e * i, (e + 1) * i);
        }

        /** Σ x_j² over all tokens (the shared expert's gate/up input), or null without a shared expert. */
        public double[] sharedInput() {
            return v.get("shared_in");
        }

        /** Σ a_j² over all tokens (the shared expert's down input), or null. */
        public double[] sharedIntermediate() {
            return v.get("shared_mid");
        }

        /** Tokens seen by the layer (the shared expert's token count). */
        public long tokens() {
            return tokens;
        }
    }

    @Override
    public Accumulator start(ModelConfig config, int layer) {
        int experts = config.moe().numExperts();
        int inter = config.moe().intermediate();
        return new Accumulator() {
            double[] in;
            final double[] mid = new double[experts * inter];
            double[] sharedIn;
            double[] sharedMid;

            @Override
            public void observe(MoeLayerEvent e) {
                MoeLayerEvent.Assignments a = e.assignments();
                NDArray x = e.input(); // [N, H]
                int n = e.batch().rows();
                NDArray x2 = x.square();
                float[] route = new float[experts * n]; // [E, N]: 1 where row r is routed to expert e
                for (int ex = 0; ex < experts; ex++) {
                    for (int i = a.offsets()[ex]; i < a.offsets()[ex + 1]; i++) {
                        route[ex * n + a.row(i)] += 1f;
                    }
                }
                in = add(in, x.getManager().create(route, new Shape(experts, n)).matMul(x2)); // [E, H]
                if (!batchedIntermediate(e, a, x, mid, inter)) {
                    perExpertIntermediate(e, a, x, mid, inter);
                }
                if (e.weights().sharedGateUpT() != null) {
                    sharedIn = add(sharedIn, x2.sum(new int[] {0}));
                    sharedMid = add(sharedMid, intermediate(x, e.weights().sharedGateUpT()).square().sum(new int[] {0}));
                }
            }

            @Override
            public Map<String, double[]> values() {
                Map<String, double[]> out = new LinkedHashMap<>();
                out.put("experts", new double[] {experts});
                out.put("in", in == null ? new double[experts * config.hiddenSize()] : in);
                out.put("mid", mid);
                if (sharedIn != null) {
                    out.put("shared_in", sharedIn);
                    out.put("shared_mid", sharedMid);
                }
                return out;
            }
        };
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
        Arrays.fill(idx, n); // the zero row
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
        for (int ex = 0; ex < e.numExperts(); ex++) {
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

    static double[] add(double[] acc, NDArray v) {
        float[] f = v.toType(DataType.FLOAT32, false).toFloatArray();
        double[] out = acc == null ? new double[f.length] : acc;
        for (int i = 0; i < f.length; i++) {
            out[i] += f[i];
        }
        return out;
    }
}
