package dev.moefrontier.harness.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import dev.moefrontier.harness.model.ModelConfig.AttentionSpec;

/**
 * Causal softmax attention with GQA and the family variants: q/k RMSNorm over the full width (OLMoE) or per head
 * (Qwen3, Qwen3.5), qkv clipping (OLMoE), q/k/v biases (Qwen2), partial RoPE and a sigmoid output gate (Qwen3.5).
 */
final class Attention {
    private Attention() {}

    /**
     * @param x normalized hidden state [B, T, H]
     * @param mask additive causal mask [T, T]
     * @return [B, T, H]
     */
    static NDArray forward(NDArray x, LayerWeights.Attention w, AttentionSpec a, Family.QkNorm qkNorm, float eps,
            Rope rope, NDArray mask) {
        long b = x.getShape().get(0);
        long t = x.getShape().get(1);
        int nh = a.heads();
        int nkv = a.kvHeads();
        int hd = a.headDim();

        NDArray q = Ops.linear(x, w.qT(), w.qBias()); // [B, T, nh*hd] (or nh*2hd with the gate)
        NDArray gate = null;
        if (a.outputGate()) {
            NDArray qg = q.reshape(b, t, nh, 2L * hd); // per head: query then gate
            gate = qg.get(new NDIndex("..., {}:", hd)).reshape(b, t, (long) nh * hd);
            q = qg.get(new NDIndex("..., :{}", hd)).reshape(b, t, (long) nh * hd);
        }
        NDArray k = Ops.linear(x, w.kT(), w.kBias()); // [B, T, nkv*hd]
        NDArray v = Ops.linear(x, w.vT(), w.vBias()); // [B, T, nkv*hd]
        if (qkNorm == Family.QkNorm.FULL_WIDTH) {
            q = Ops.rmsNorm(q, w.qNorm(), eps);
            k = Ops.rmsNorm(k, w.kNorm(), eps);
        }
        if (a.clipQkv() != null) {
            float c = a.clipQkv().floatValue();
            q = q.clip(-c, c);
            k = k.clip(-c, c);
            v = v.clip(-c, c);
        }
        q = q.reshape(b, t, nh, hd);
        k = k.reshape(b, t, nkv, hd);
        v = v.reshape(b, t, nkv, hd);
        if (qkNorm == Family.QkNorm.PER_HEAD) {
            q = Ops.rmsNorm(q, w.qNorm(), eps);
            k = Ops.rmsNorm(k, w.kNorm(), eps);
        }
        q = rope.apply(q.transpose(0, 2, 1, 3)); // [B, nh, T, hd]
        k = rope.apply(k.transpose(0, 2, 1, 3)); // [B, nkv, T, hd]
        v = v.transpose(0, 2, 1, 3); // [B, nkv, T, hd]

        // GQA: query head h reads kv head h / (nh / nkv); group the queries instead of repeating k and v.
        int g = nh / nkv;
        NDArray qg = q.reshape(b, nkv, g, t, hd); // [B, nkv, g, T, hd]
        NDArray kg = k.expandDims(2); // [B, nkv, 1, T, hd]
        NDArray vg = v.expandDims(2); // [B, nkv, 1, T, hd]
        NDArray scores = qg.matMul(kg.transpose(0, 1, 2, 4, 3)).mul(1.0 / Math.sqrt(hd)).add(mask); // [B, nkv, g, T, T]
        NDArray probs = scores.softmax(-1);
        NDArray o = probs.matMul(vg) // [B, nkv, g, T, hd]
                .reshape(b, nh, t, hd)
                .transpose(0, 2, 1, 3)
                .reshape(new Shape(b, t, (long) nh * hd)); // [B, T, nh*hd]
        if (gate != null) {
            o = o.mul(Activation.sigmoid(gate));
        }
        return Ops.linear(o, w.oT(), w.oBias()); // [B, T, H]
    }
}
