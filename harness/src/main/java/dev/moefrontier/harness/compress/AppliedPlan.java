package dev.moefrontier.harness.compress;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.moefrontier.harness.io.DType;
import dev.moefrontier.harness.io.TensorInfo;
import dev.moefrontier.harness.io.Widening;
import dev.moefrontier.harness.model.LayerWeights;
import dev.moefrontier.harness.model.ModelConfig;
import dev.moefrontier.harness.model.ModelPatch;
import dev.moefrontier.harness.model.ModelWeights;
import dev.moefrontier.harness.model.MoeOverride;
import dev.moefrontier.harness.model.MoeTransformer;
import dev.moefrontier.harness.model.TensorLayout;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * A plan applied to a loaded model in memory, as a {@link ModelPatch}: routing changes cost nothing, and only merged
 * or masked experts get new weights, built from the loaded ones when their layer runs. With resident weights they are
 * kept until {@link #close}; with streamed weights only the current layer's are held. One loaded model can serve
 * many plans. New weights are rounded to the checkpoint's dtype (BF16/F16), so the in-memory model is exactly what an
 * export contains.
 */
public final class AppliedPlan implements ModelPatch, AutoCloseable {
    private final PruningPlan plan;
    private final ModelConfig cfg;
    private final NDManager manager;
    private final boolean stream;
    private final DType expertDtype;
    private final Map<Integer, Entry> cache = new HashMap<>();

    private record Entry(NDManager manager, MoeOverride override) {}

    public AppliedPlan(MoeTransformer model, PruningPlan plan) {
        plan.validate(model.config());
        this.plan = plan;
        this.cfg = model.config();
        this.manager = model.manager().newSubManager();
        this.stream = model.weights().residency() == ModelWeights.Residency.STREAM;
        this.expertDtype = expertDtype(model);
    }

    /** The dtype routed experts are stored in (F32 when mixed or unknown). */
    static DType expertDtype(MoeTransformer model) {
        int l = model.config().moeLayers().isEmpty() ? -1 : model.config().moeLayers().get(0);
        if (l < 0) {
            return DType.F32;
        }
        String name = model.weights().storage() == TensorLayout.ExpertStorage.FUSED
                ? model.config().family().fusedGateUp(l) : model.config().family().expert(l, 0, 0);
        TensorInfo t = model.checkpoint().tensors().get(name);
        return t == null ? DType.F32 : t.dtype();
    }

    public PruningPlan plan() {
        return plan;
    }

    @Override
    public synchronized MoeOverride moe(int layer, LayerWeights.Moe w) {
        LayerPlan lp = plan.layer(layer);
        if (lp == null) {
            return null;
        }
        Entry e = cache.get(layer);
        if (e != null) {
            return e.override();
        }
        if (stream) {
            for (Iterator<Entry> it = cache.values().iterator(); it.hasNext(); ) {
                it.next().manager().close();
                it.remove();
            }
        }
        NDManager m = manager.newSubManager();
        try {
            e = new Entry(m, build(lp, w, m));
        } catch (RuntimeException ex) {
            m.close();
            throw ex;
        }
        cache.put(layer, e);
        return e.override();
    }

    private MoeOverride build(LayerPlan lp, LayerWeights.Moe w, NDManager m) {
        int numExperts = lp.numExperts();
        boolean[] dropped = null;
        int[] redirect = null;
        if (plan.mode() == PruningPlan.Mode.DROP) {
            dropped = new boolean[numExperts];
            for (int p : lp.pruned()) {
                dropped[p] = true;
            }
        } else {
            redirect = lp.redirect().clone();
        }
        NDArray[] gateUp = new NDArray[numExperts];
        NDArray[] down = new NDArray[numExperts];
        for (ExpertMerge mg : lp.merges()) {
            NDArray gu = null;
            NDArray dn = null;
            for (int i = 0; i < mg.members().length; i++) {
                float wt = (float) mg.weights()[i];
                NDArray guI = w.gateUpT().get(mg.members()[i]); // [H, 2I]
                NDArray dnI = w.downT().get(mg.members()[i]); // [I, H]
                if (mg.permutes(i)) { // neuron n of the merge takes the member's neuron alignment[i][n] (methods.md §7.5)
                    int[] perm = mg.alignment()[i];
                    long[] cols = new long[2 * perm.length];
                    for (int n = 0; n < perm.length; n++) {
                        cols[n] = perm[n];
                        cols[perm.length + n] = perm.length + perm[n];
                    }
                    NDArray c = m.create(cols);
                    guI = guI.get(new NDIndex(":, {}", c));
                    dnI = dnI.get(new NDIndex("{}", m.create(java.util.Arrays.copyOf(cols, perm.length))));
                }
                NDArray a = guI.mul(wt);
                NDArray b = dnI.mul(wt);
                if (mg.permutes(i)) { // the gathered copies, not views of the loaded weights
                    guI.close();
                    dnI.close();
                }
                gu = gu == null ? a : gu.addi(a);
                dn = dn == null ? b : dn.addi(b);
            }
            gateUp[mg.into()] = round(gu, m);
            down[mg.into()] = round(dn, m);
        }
        NDArray sharedGateUp = null;
        NDArray sharedDown = null;
        MaskSpec spec = plan.maskSpec();
        NDArray[] stacks = null;
        if (spec != null && lp.masks() != null && !lp.masks().experts().isEmpty() && lp.merges().isEmpty() && w.gateUpStack() != null) {
            stacks = maskStacks(lp, w, spec, m, gateUp, down);
        } else if (spec != null && lp.masks() != null && !lp.masks().experts().isEmpty()) {
            for (int e : lp.kept()) {
                ExpertNorms n = lp.masks().experts().get(e);
                NDArray gu = gateUp[e] != null ? gateUp[e] : w.gateUpT().get(e);
                NDArray dn = down[e] != null ? down[e] : w.downT().get(e);
                NDArray[] masked = mask(gu, dn, n, spec, m, null);
                if (masked != null) {
                    gateUp[e] = masked[0];
                    down[e] = masked[1];
                }
            }
        }
        if (spec != null && lp.masks() != null && lp.masks().shared() != null && w.sharedGateUpT() != null) {
            NDArray[] masked = mask(w.sharedGateUpT(), w.sharedDownT(), lp.masks().shared(), spec, m, null);
            sharedGateUp = masked[0];
            sharedDown = masked[1];
        }
        boolean replaces = java.util.Arrays.stream(gateUp).anyMatch(java.util.Objects::nonNull)
                || java.util.Arrays.stream(down).anyMatch(java.util.Objects::nonNull);
        if (!replaces) { // routing changes only: the loaded stacks serve the padded dispatch as they are
            gateUp = null;
            down = null;
        }
        return new MoeOverride(dropped, redirect, gateUp, down, sharedGateUp, sharedDown, null, stacks == null ? null : stacks[0],
                stacks == null ? null : stacks[1], plan.duplicateGates());
    }

    /**
     * The Wanda masks of every kept expert applied to the layer's weights in one copy (two transfers instead of a
     * dozen native calls per expert): returns the stacks [E, H, 2I] and [E, I, H] and fills {@code gateUp} /
     * {@code down} with per-expert views. Same masks and values as {@link #mask} expert by expert.
     */
    private static NDArray[] maskStacks(LayerPlan lp, LayerWeights.Moe w, MaskSpec spec, NDManager m, NDArray[] gateUp, NDArray[] down) {
        return maskStacks(lp, w, spec, m, gateUp, down, null);
    }

    /**
     * Feeds the masks of every kept expert of a layer without merges to {@code digest}, in the order and form of
     * {@link #mask} expert by expert, from one copy of the layer's weights.
     */
    public static void digestMasks(LayerPlan lp, LayerWeights.Moe w, MaskSpec spec, java.security.MessageDigest digest) {
        maskStacks(lp, w, spec, null, null, null, digest);
    }

    private static NDArray[] maskStacks(LayerPlan lp, LayerWeights.Moe w, MaskSpec spec, NDManager m, NDArray[] gateUp, NDArray[] down,
            java.security.MessageDigest digest) {
        Shape gs = w.gateUpStack().getShape(); // [E, H, 2I]
        int e = (int) gs.get(0);
        long h = gs.get(1);
        long inter = gs.get(2) / 2;
        long perExpert = 3 * inter * h;
        // Experts go through Java in blocks of at most MASK_BLOCK_FLOATS (a 256-expert Qwen3.5 layer is 3 GB of
        // float32): every array and transfer stays far below 2^31 elements, and memory is the stacks plus one block.
        int block = (int) Math.max(1, Math.min(e, MASK_BLOCK_FLOATS / perExpert));
        boolean[] isKept = new boolean[e];
        for (int x : lp.kept()) {
            isKept[x] = true;
        }
        NDArray guStack = m == null ? null : m.create(new Shape(e, 2 * inter, h), DataType.FLOAT32);
        NDArray dnStack = m == null ? null : m.create(new Shape(e, h, inter), DataType.FLOAT32);
        int guSize = (int) (2 * inter * h);
        int dnSize = (int) (h * inter);
        for (int x0 = 0; x0 < e; x0 += block) {
            int x1 = Math.min(e, x0 + block);
            float[] gu;
            float[] dn;
            try (NDArray g = w.gateUpStack().get("{}:{}", x0, x1); NDArray d = w.downStack().get("{}:{}", x0, x1)) {
                gu = floats(g.transpose(0, 2, 1)); // [n, 2I, H]
                dn = floats(d.transpose(0, 2, 1)); // [n, H, I]
            }
            for (int x = x0; x < x1; x++) {
                if (!isKept[x]) {
                    continue;
                }
                ExpertNorms n = lp.masks().experts().get(x);
                boolean magnitude = n == null || n.tokens() == 0;
                if (magnitude && spec.empty().equals("skip")) {
                    continue;
                }
                double[] in = magnitude ? null : n.input();
                double[] mid = magnitude ? null : n.intermediate();
                int o = x - x0;
                maskRows(gu, o * guSize, (int) inter, (int) h, in, spec, digest); // gate rows
                maskRows(gu, o * guSize + (int) (inter * h), (int) inter, (int) h, in, spec, digest); // up rows
                maskRows(dn, o * dnSize, (int) h, (int) inter, mid, spec, digest);
            }
            if (m != null) {
                try (NDArray g = m.create(gu, new Shape(x1 - x0, 2 * inter, h)); NDArray d = m.create(dn, new Shape(x1 - x0, h, inter))) {
                    guStack.set(new NDIndex("{}:{}", x0, x1), g);
                    dnStack.set(new NDIndex("{}:{}", x0, x1), d);
                }
            }
        }
        if (m == null) {
            return null;
        }
        NDArray guView = guStack.transpose(0, 2, 1); // [E, H, 2I]
        NDArray dnView = dnStack.transpose(0, 2, 1); // [E, I, H]
        for (int x = 0; x < e; x++) {
            gateUp[x] = guView.get(x);
            down[x] = dnView.get(x);
        }
        return new NDArray[] {guView, dnView};
    }

    /** Floats per block of experts copied to Java for masking (64 Mi: 256 MiB). */
    static final long MASK_BLOCK_FLOATS = 1L << 26;

    /** The values of a temporary view (closed here, so nothing accumulates on the weights' manager). */
    private static float[] floats(NDArray view) {
        try (NDArray t = view) {
            return dev.moefrontier.harness.model.HostArrays.floats(t);
        }
    }

    /** Masks the [rows, cols] block at {@code off} of {@code a} in place. */
    private static void maskRows(float[] a, int off, int rows, int cols, double[] norms, MaskSpec spec, java.security.MessageDigest digest) {
        float[] block = java.util.Arrays.copyOfRange(a, off, off + rows * cols);
        boolean[] keep = WeightMasks.rule(spec).keep(block, rows, cols, norms, spec);
        if (digest != null) {
            WeightMasks.digest(digest, keep);
            return;
        }
        WeightMasks.apply(block, keep);
        System.arraycopy(block, 0, a, off, block.length);
    }

    /**
     * Wanda-masked copies of one SwiGLU's weights in compute layout ({@code gateUpT} [H, 2I], {@code downT} [I, H]), or
     * null when the expert stays dense (no tokens and empty = skip). Masks are fed to {@code digest} when given.
     */
    public static NDArray[] mask(NDArray gateUpT, NDArray downT, ExpertNorms n, MaskSpec spec, NDManager m,
            java.security.MessageDigest digest) {
        boolean magnitude = n == null || n.tokens() == 0;
        if (magnitude && spec.empty().equals("skip")) {
            return null;
        }
        long h = gateUpT.getShape().get(0);
        long i2 = gateUpT.getShape().get(1);
        long inter = i2 / 2;
        float[] gu = floats(gateUpT.transpose()); // [2I, H]: gate rows, then up
        float[] dn = floats(downT.transpose()); // [H, I]
        double[] in = magnitude ? null : n.input();
        double[] mid = magnitude ? null : n.intermediate();
        int hi = (int) h;
        int ii = (int) inter;
        float[] gate = java.util.Arrays.copyOfRange(gu, 0, ii * hi);
        float[] up = java.util.Arrays.copyOfRange(gu, ii * hi, 2 * ii * hi);
        boolean[] kg = WeightMasks.rule(spec).keep(gate, ii, hi, in, spec);
        boolean[] ku = WeightMasks.rule(spec).keep(up, ii, hi, in, spec);
        boolean[] kd = WeightMasks.rule(spec).keep(dn, hi, ii, mid, spec);
        if (digest != null) {
            WeightMasks.digest(digest, kg);
            WeightMasks.digest(digest, ku);
            WeightMasks.digest(digest, kd);
        }
        WeightMasks.apply(gate, kg);
        WeightMasks.apply(up, ku);
        WeightMasks.apply(dn, kd);
        System.arraycopy(gate, 0, gu, 0, gate.length);
        System.arraycopy(up, 0, gu, gate.length, up.length);
        return new NDArray[] {m.create(gu, new Shape(i2, h)).transpose(), m.create(dn, new Shape(h, inter)).transpose()};
    }

    /** A copy of {@code a} on {@code m}, rounded to the checkpoint dtype. */
    private NDArray round(NDArray a, NDManager m) {
        float[] v = dev.moefrontier.harness.model.HostArrays.floats(a);
        roundInPlace(v, expertDtype);
        // a is a transposed view [in, out]; rebuild it the same way so matmul sees the same layout
        Shape s = a.getShape();
        NDArray t = m.create(v, s);
        a.close();
        return t;
    }

    /** Rounds float32 values to what {@code dtype} stores. */
    public static void roundInPlace(float[] v, DType dtype) {
        if (dtype == DType.BF16) {
            for (int i = 0; i < v.length; i++) {
                v[i] = Float.intBitsToFloat(Widening.floatToBf16Bits(v[i]) << 16);
            }
        } else if (dtype == DType.F16) {
            for (int i = 0; i < v.length; i++) {
                v[i] = Float.intBitsToFloat(Widening.halfToFloatBits(Widening.floatToHalfBits(v[i])));
            }
        }
    }

    @Override
    public synchronized void close() {
        cache.clear();
        manager.close();
    }
}
