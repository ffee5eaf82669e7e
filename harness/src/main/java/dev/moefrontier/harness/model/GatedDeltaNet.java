package dev.moefrontier.harness.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import dev.moefrontier.harness.model.ModelConfig.LinearAttentionSpec;

/**
 * Gated DeltaNet, Qwen3.5's linear attention. Per value head, state S [dk, dv] starts at zero and for each token
 * {@code S = exp(g_t) S; S += k_t (beta_t (v_t - S^T k_t))^T; o_t = S^T q_t}.
 *
 * <p>Two evaluations of that recurrence: {@link Mode#RECURRENT} steps through time (the reference), {@link
 * Mode#CHUNKED} processes chunks of C tokens in parallel. Within a chunk, with cumulative log-decay γ, Γ = exp(γ) and
 * start state S0, the updates u_t solve the unit lower-triangular system (I + A) U = β∘V − β∘Γ∘(K S0), where
 * A[t,s] = β_t e^{γ_t−γ_s} (k_t·k_s) for s &lt; t; outputs are O = (Γ∘Q) S0 + (M∘QKᵀ) U with M[t,s] = e^{γ_t−γ_s}
 * for s ≤ t, and the state leaves as Γ_C S0 + (e^{γ_C−γ}∘K)ᵀ U. Only differences of γ are exponentiated, so
 * nothing overflows.
 */
final class GatedDeltaNet {

    /** How the recurrence is evaluated. */
    enum Mode { CHUNKED, RECURRENT }

    private GatedDeltaNet() {}

    /**
     * @param x normalized hidden state [B, T, H]
     * @return [B, T, H]
     */
    static NDArray forward(NDArray x, LayerWeights.Linear w, LinearAttentionSpec s, float eps, Mode mode, int chunk,
            boolean differentiable) {
        long b = x.getShape().get(0);
        long t = x.getShape().get(1);
        int nk = s.keyHeads();
        int nv = s.valueHeads();
        int dk = s.keyDim();
        int dv = s.valueDim();
        int kc = s.convKernel();

        NDArray u = x.matMul(w.qkvT()); // [B, T, C]
        NDArray c = Ops.silu(causalConv(u, w.conv(), kc)); // [B, T, C]
        long qEnd = (long) nk * dk;
        NDArray q = c.get(new NDIndex("..., :{}", qEnd)).reshape(b, t, nk, dk);
        NDArray k = c.get(new NDIndex("..., {}:{}", qEnd, 2 * qEnd)).reshape(b, t, nk, dk);
        NDArray v = c.get(new NDIndex("..., {}:", 2 * qEnd)).reshape(b, t, nv, dv);
        q = l2norm(q).div(Math.sqrt(dk));
        k = l2norm(k);
        if (nv > nk) { // key head i serves value heads i*r .. (i+1)*r-1
            int r = nv / nk;
            q = q.expandDims(3).broadcast(b, t, nk, r, dk).reshape(b, t, nv, dk);
            k = k.expandDims(3).broadcast(b, t, nk, r, dk).reshape(b, t, nv, dk);
        }
        NDArray beta = Activation.sigmoid(x.matMul(w.bT())); // [B, T, nv]
        NDArray g = Activation.softPlus(x.matMul(w.aT()).add(w.dtBias())).mul(w.negA()); // [B, T, nv], <= 0

        // Heads first: [B, nv, T, d] and [B, nv, T].
        q = q.transpose(0, 2, 1, 3);
        k = k.transpose(0, 2, 1, 3);
        v = v.transpose(0, 2, 1, 3);
        beta = beta.transpose(0, 2, 1);
        g = g.transpose(0, 2, 1);
        NDArray o = mode == Mode.RECURRENT ? recurrent(q, k, v, beta, g)
                : chunked(q, k, v, beta, g, chunk, differentiable); // [B, nv, T, dv]

        // Gated RMSNorm per value head (plain weight), then heads concatenated and out_proj.
        NDArray z = x.matMul(w.zT()).reshape(b, t, nv, dv);
        NDArray y = o.transpose(0, 2, 1, 3); // [B, T, nv, dv]
        NDArray rms = y.square().mean(new int[] {-1}, true).add(eps).sqrt();
        y = y.div(rms).mul(w.norm()).mul(Ops.silu(z));
        return y.reshape(b, t, (long) nv * dv).matMul(w.outT()); // [B, T, H]
    }

    /** Depthwise causal convolution over time: c[t] = sum_j w[:, j] * u[t + j - (Kc - 1)], zeros before t = 0. */
    private static NDArray causalConv(NDArray u, NDArray conv, int kc) {
        long t = u.getShape().get(1);
        NDArray padded = u.pad(new Shape(0, 0, kc - 1, 0), 0); // pad pairs run last axis first: C by 0, T by (Kc-1, 0)
        NDArray acc = null;
        for (int j = 0; j < kc; j++) {
            NDArray term = padded.get(new NDIndex(":, {}:{}, :", j, j + t)).mul(conv.get(new NDIndex(":, {}", j)));
            acc = acc == null ? term : acc.add(term);
        }
        return acc;
    }

    private static NDArray l2norm(NDArray x) {
        return x.div(x.square().sum(new int[] {-1}, true).add(1e-6f).sqrt());
    }

    /** The plain recurrence; q, k [B, nv, T, dk], v [B, nv, T, dv], beta, g [B, nv, T]. */
    static NDArray recurrent(NDArray q, NDArray k, NDArray v, NDArray beta, NDArray g) {
        Shape qs = q.getShape();
        long b = qs.get(0);
        long nv = qs.get(1);
        long t = qs.get(2);
        long dk = qs.get(3);
        long dv = v.getShape().get(3);
        NDManager m = q.getManager();
        NDArray state = m.zeros(new Shape(b, nv, dk, dv));
        NDList outs = new NDList();
        for (long i = 0; i < t; i++) {
            NDArray qt = q.get(new NDIndex(":, :, {}", i)); // [B, nv, dk]
            NDArray kt = k.get(new NDIndex(":, :, {}", i));
            NDArray vt = v.get(new NDIndex(":, :, {}", i)); // [B, nv, dv]
            NDArray bt = beta.get(new NDIndex(":, :, {}", i)).expandDims(2); // [B, nv, 1]
            NDArray gt = g.get(new NDIndex(":, :, {}", i)).exp().expandDims(2).expandDims(3); // [B, nv, 1, 1]
            state = state.mul(gt);
            NDArray kcol = kt.expandDims(3); // [B, nv, dk, 1]
            NDArray mem = state.mul(kcol).sum(new int[] {2}); // S^T k: [B, nv, dv]
            NDArray delta = vt.sub(mem).mul(bt); // [B, nv, dv]
            state = state.add(kcol.mul(delta.expandDims(2))); // + k delta^T
            outs.add(state.mul(qt.expandDims(3)).sum(new int[] {2})); // S^T q: [B, nv, dv]
        }
        return NDArrays.stack(outs, 2); // [B, nv, T, dv]
    }

    /** The chunked form (see the class comment); same shapes as {@link #recurrent}. */
    static NDArray chunked(NDArray q, NDArray k, NDArray v, NDArray beta, NDArray g, int chunk) {
        return chunked(q, k, v, beta, g, chunk, false);
    }

    /** The chunked form; {@code differentiable} keeps every op visible to autograd (training). */
    static NDArray chunked(NDArray q, NDArray k, NDArray v, NDArray beta, NDArray g, int chunk, boolean differentiable) {
        Shape qs = q.getShape();
        long b = qs.get(0);
        long nv = qs.get(1);
        long t = qs.get(2);
        long dk = qs.get(3);
        long dv = v.getShape().get(3);
        int cs = (int) Math.min(chunk, t);
        long pad = (cs - t % cs) % cs;
        long tp = t + pad;
        long nc = tp / cs;
        NDManager m = q.getManager();
        if (pad > 0) { // zero keys, values, betas and log-decays after the end change nothing before it
            q = q.pad(new Shape(0, 0, 0, pad), 0);
            k = k.pad(new Shape(0, 0, 0, pad), 0);
            v = v.pad(new Shape(0, 0, 0, pad), 0);
            beta = beta.pad(new Shape(0, pad), 0);
            g = g.pad(new Shape(0, pad), 0);
        }
        q = q.reshape(b, nv, nc, cs, dk);
        k = k.reshape(b, nv, nc, cs, dk);
        v = v.reshape(b, nv, nc, cs, dv);
        beta = beta.reshape(b, nv, nc, cs);
        NDArray gam = g.reshape(b, nv, nc, cs).cumSum(3); // γ: [B, nv, nc, C]

        NDArray lowerIncl = m.create(triangle(cs, true), new Shape(cs, cs)); // s <= t
        NDArray lowerStrict = m.create(triangle(cs, false), new Shape(cs, cs)); // s < t
        NDArray diff = gam.expandDims(4).sub(gam.expandDims(3)); // γ_t − γ_s: [.., C, C]
        NDArray decay = diff.mul(lowerIncl).exp().mul(lowerIncl); // e^{γ_t−γ_s} on s <= t, else 0
        NDArray kT = k.transpose(0, 1, 2, 4, 3);
        NDArray betaCol = beta.expandDims(4); // [.., C, 1]
        NDArray a = k.matMul(kT).mul(decay).mul(betaCol).mul(lowerStrict); // A: [.., C, C]

        NDArray inv = unitLowerInverse(a, differentiable); // (I + A)^{-1}
        NDArray gammaCol = gam.exp().expandDims(4); // Γ: [.., C, 1]
        NDArray wv = inv.matMul(v.mul(betaCol)); // [.., C, dv]
        NDArray kd = inv.matMul(k.mul(betaCol).mul(gammaCol)); // [.., C, dk]
        NDArray qk = q.matMul(kT).mul(decay); // [.., C, C]
        NDArray qg = q.mul(gammaCol); // [.., C, dk]
        NDArray last = gam.get(new NDIndex("..., {}:", cs - 1)); // γ_C: [B, nv, nc, 1]
        NDArray tail = last.sub(gam).exp().expandDims(4); // e^{γ_C − γ_t}: [.., C, 1]
        NDArray kTail = k.mul(tail).transpose(0, 1, 2, 4, 3); // [.., dk, C]
        NDArray lastDecay = last.exp().expandDims(4); // Γ_C: [B, nv, nc, 1, 1]

        NDArray state = m.zeros(new Shape(b, nv, dk, dv));
        NDList outs = new NDList();
        for (long c = 0; c < nc; c++) {
            NDIndex at = new NDIndex(":, :, {}", c);
            NDArray uc = wv.get(at).sub(kd.get(at).matMul(state)); // U: [B, nv, C, dv]
            outs.add(qg.get(at).matMul(state).add(qk.get(at).matMul(uc))); // [B, nv, C, dv]
            state = state.mul(lastDecay.get(at)).add(kTail.get(at).matMul(uc));
        }
        NDArray o = NDArrays.concat(outs, 2); // [B, nv, Tp, dv]
        return pad > 0 ? o.get(new NDIndex(":, :, :{}", t)) : o;
    }

    /**
     * (I + A)^{-1} for strictly lower-triangular A [.., C, C] by forward substitution: row i = e_i − A[i, :i] T[:i, :].
     * The differentiable form keeps the rows and concatenates them instead of writing into one tensor in place (which
     * autograd cannot see through); it copies O(C²) rows, so inference uses the in-place form.
     */
    static NDArray unitLowerInverse(NDArray a, boolean differentiable) {
        Shape s = a.getShape();
        int cs = (int) s.getLastDimension();
        NDArray eye = a.getManager().eye(cs).broadcast(s);
        if (!differentiable) {
            return blockInverse(a, eye);
        }
        NDList rows = new NDList(eye.get(new NDIndex("..., 0:1, :")));
        for (int i = 1; i < cs; i++) {
            NDArray prev = rows.size() == 1 ? rows.get(0) : NDArrays.concat(rows, -2); // [.., i, C]
            NDArray row = a.get(new NDIndex("..., {}:{}, :{}", i, i + 1, i)); // [.., 1, i]
            rows.add(eye.get(new NDIndex("..., {}:{}, :", i, i + 1)).sub(row.matMul(prev)));
        }
        return NDArrays.concat(rows, -2);
    }

    /** Below this size the inverse is plain forward substitution; above it, halves (fewer native calls per chunk). */
    static final int SUBSTITUTION_SIZE = 16;

    /**
     * (I + A)^{-1} by halves: with L = [[L11, 0], [L21, L22]], L^{-1} = [[X11, 0], [−X22 L21 X11, X22]], the two
     * diagonal blocks inverted together as one batch. Same arithmetic as substitution up to summation order.
     */
    private static NDArray blockInverse(NDArray a, NDArray eye) {
        Shape s = a.getShape();
        int cs = (int) s.getLastDimension();
        if (cs <= SUBSTITUTION_SIZE || cs % 2 != 0) {
            NDArray inv = eye.duplicate();
            for (int i = 1; i < cs; i++) {
                NDArray row = a.get(new NDIndex("..., {}:{}, :{}", i, i + 1, i)); // [.., 1, i]
                NDArray prev = inv.get(new NDIndex("..., :{}, :", i)); // [.., i, C]
                NDArray e = inv.get(new NDIndex("..., {}:{}, :", i, i + 1)); // [.., 1, C]
                inv.set(new NDIndex("..., {}:{}, :", i, i + 1), e.sub(row.matMul(prev)));
            }
            return inv;
        }
        int h = cs / 2;
        NDArray a11 = a.get(new NDIndex("..., :{}, :{}", h, h));
        NDArray a22 = a.get(new NDIndex("..., {}:, {}:", h, h));
        NDArray a21 = a.get(new NDIndex("..., {}:, :{}", h, h)); // L21 = A21
        NDArray diag = NDArrays.stack(new NDList(a11, a22), 0); // [2, .., h, h]
        NDArray x = blockInverse(diag, a.getManager().eye(h).broadcast(diag.getShape()));
        NDArray x11 = x.get(0);
        NDArray x22 = x.get(1);
        NDArray x21 = x22.matMul(a21).matMul(x11).neg(); // [.., h, h]
        NDArray top = x11.concat(a.getManager().zeros(x11.getShape(), x11.getDataType()), -1); // [.., h, C]
        NDArray bottom = x21.concat(x22, -1); // [.., h, C]
        return top.concat(bottom, -2);
    }

    private static float[] triangle(int n, boolean inclusive) {
        float[] m = new float[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < (inclusive ? i + 1 : i); j++) {
                m[i * n + j] = 1f;
            }
        }
        return m;
    }
}
