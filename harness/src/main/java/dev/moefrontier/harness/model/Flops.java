package dev.moefrontier.harness.model;

/**
 * Floating-point operations of the forward, counted from a config: 2 per multiply-add of every projection, the router,
 * the k routed experts (and the shared expert), the attention scores and values over the full (masked) context of a
 * window, the linear-attention state update, and the LM head. Norms, activations and softmaxes are left out (they are
 * linear in H, not in H²). Used by {@code bench forward}'s roofline and by {@code plan --estimate}.
 */
public final class Flops {
    private Flops() {}

    /** Forward FLOPs per token of decoder layer {@code layer} (mixer and MLP), in windows of {@code seqLen} tokens. */
    public static double layerPerToken(ModelConfig c, int layer, int seqLen) {
        double h = c.hiddenSize();
        ModelConfig.LayerSpec l = c.layers().get(layer);
        double macs = 0;
        if (l.mixer() == ModelConfig.Mixer.ATTENTION) {
            var a = c.attention();
            double q = (double) a.heads() * a.headDim() * (a.outputGate() ? 2 : 1);
            double kv = (double) a.kvHeads() * a.headDim();
            macs += h * q + 2 * h * kv + (double) a.heads() * a.headDim() * h;
            macs += 2.0 * seqLen * a.heads() * a.headDim();
        } else {
            var s = c.linear();
            double vd = (double) s.valueHeads() * s.valueDim();
            macs += h * (s.convChannels() + vd + 2 * s.valueHeads()) + vd * h;
            macs += 2.0 * s.valueHeads() * s.keyDim() * s.valueDim() * 2;
        }
        if (l.mlp() == ModelConfig.Mlp.MOE) {
            var m = c.moe();
            macs += h * m.numExperts() + (double) m.topK() * 3 * h * m.intermediate();
            if (m.sharedIntermediate() > 0) {
                macs += 3 * h * m.sharedIntermediate() + h;
            }
        } else {
            macs += 3 * h * c.moe().denseIntermediate();
        }
        return 2 * macs;
    }

    /** FLOPs per token of one routed expert (gate, up and down projections). */
    public static double expertPerToken(ModelConfig c) {
        return 2.0 * 3 * c.hiddenSize() * c.moe().intermediate();
    }

    /** FLOPs per token of the LM head. */
    public static double headPerToken(ModelConfig c) {
        return 2.0 * c.hiddenSize() * c.vocabSize();
    }

    /** FLOPs per token of layers {@code from} to the last, plus the head. */
    public static double fromLayerPerToken(ModelConfig c, int from, int seqLen) {
        double f = headPerToken(c);
        for (int l = from; l < c.numLayers(); l++) {
            f += layerPerToken(c, l, seqLen);
        }
        return f;
    }

    /** FLOPs per token of the whole forward. */
    public static double forwardPerToken(ModelConfig c, int seqLen) {
        return fromLayerPerToken(c, 0, seqLen);
    }
}
