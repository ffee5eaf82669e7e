package dev.moefrontier.harness.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.moefrontier.harness.model.ModelConfig.LayerSpec;
import java.util.List;

/**
 * The model definition as a function of its weights (see {@link MoeTransformer} for the picture): embeddings, decoder
 * layers, final norm, and the tables they share (RoPE, causal mask). {@link MoeTransformer} runs it on checkpoint
 * weights; training runs the very same code on live parameters, under DJL autograd.
 */
public final class ModelGraph {
    private final ModelConfig config;
    private final NDManager manager;
    private final Rope rope;
    private final GatedDeltaNet.Mode deltaMode;
    private final int deltaChunk;
    private final boolean differentiable;
    private final MoeDispatch dispatch;
    private NDArray mask; // [capacity, capacity], grown by doubling

    ModelGraph(ModelConfig config, NDManager manager, GatedDeltaNet.Mode deltaMode, int deltaChunk, boolean differentiable) {
        this.config = config;
        this.manager = manager;
        ModelConfig.AttentionSpec a = config.attention();
        this.rope = new Rope(manager, a.ropeTheta(), a.rotaryDim(), a.headDim());
        this.deltaMode = deltaMode;
        this.deltaChunk = deltaChunk;
        this.differentiable = differentiable;
        this.dispatch = differentiable ? MoeDispatch.PADDED : MoeDispatch.configured();
    }

    /** The graph for training: every op visible to autograd (tables live on {@code manager}). */
    public static ModelGraph differentiable(ModelConfig config, NDManager manager, int deltaChunk) {
        return new ModelGraph(config, manager, GatedDeltaNet.Mode.CHUNKED, deltaChunk, true);
    }

    public ModelConfig config() {
        return config;
    }

    /**
     * The whole forward of one unpadded or padded batch: final-normed hidden state [B, T, H] on {@code scope}. Used for
     * training, where the weights' every use is recorded; inference goes through {@link MoeTransformer#run}.
     */
    public NDArray forward(TokenBatch batch, ModelWeights w, ForwardObserver observer, NDManager scope) {
        NDArray h = embed(batch, w.embedding(), scope);
        List<LayerSpec> layers = config.layers();
        for (LayerSpec spec : layers) {
            LayerWeights lw = w.acquire(spec.index());
            try {
                h = layer(h, lw, null, spec, batch, observer, scope);
            } finally {
                w.release(lw);
            }
        }
        return finalNorm(h, w.finalNorm());
    }

    /** Token embeddings [B, T, H] (padding id 0). */
    NDArray embed(TokenBatch batch, NDArray embedding, NDManager run) {
        for (int s = 0; s < batch.size(); s++) {
            for (int id : batch.sequence(s)) {
                if (id < 0 || id >= config.vocabSize()) {
                    throw new IllegalArgumentException("token id " + id + " outside the vocabulary (0.." + (config.vocabSize() - 1) + ")");
                }
            }
        }
        NDArray ids = run.create(batch.paddedIds());
        NDArray e = embedding.get(run, new NDIndex("{}", ids));
        if (!differentiable) {
            ids.close(); // autograd would read it in the backward pass
        }
        return e.reshape(batch.size(), batch.maxLength(), config.hiddenSize());
    }

    /** Final RMSNorm [B, T, H] (on the hidden state's manager). */
    NDArray finalNorm(NDArray h, NDArray w) {
        return Ops.rmsNorm(h, w, (float) config.rmsEps());
    }

    /**
     * One decoder layer for one micro-batch; intermediates live in a scope closed before returning. A differentiable
     * graph keeps them on {@code run} instead: autograd still reads them (index arrays made from Java memory included)
     * when the backward pass runs.
     */
    NDArray layer(NDArray h, LayerWeights w, MoeOverride ov, LayerSpec spec, TokenBatch batch, ForwardObserver observer,
            NDManager run) {
        if (differentiable) {
            return layerIn(h, w, ov, spec, batch, observer, run);
        }
        try (NDManager scope = run.newSubManager()) {
            h.tempAttach(scope);
            NDArray out = layerIn(h, w, ov, spec, batch, observer, scope);
            out.attach(run);
            return out;
        }
    }

    private NDArray layerIn(NDArray h, LayerWeights w, MoeOverride ov, LayerSpec spec, TokenBatch batch, ForwardObserver observer,
            NDManager scope) {
        float eps = (float) config.rmsEps();
        NDArray x = Ops.rmsNorm(h, w.inputNorm(), eps); // [B, T, H]
        NDArray mixed = spec.mixer() == ModelConfig.Mixer.ATTENTION
                ? Attention.forward(x, w.attention(), config.attention(), config.family().qkNorm(), eps, rope,
                        mask(batch.maxLength(), scope))
                : GatedDeltaNet.forward(x, w.linear(), config.linear(), eps, deltaMode, deltaChunk, differentiable);
        NDArray h1 = h.add(mixed); // [B, T, H]
        x = Ops.rmsNorm(h1, w.postNorm(), eps); // [B, T, H]
        NDArray mlp = spec.mlp() == ModelConfig.Mlp.MOE
                ? moe(x, w.moe(), ov, spec.index(), batch, observer, scope)
                : Ops.swiglu(x, w.mlp().gateUpT(), w.mlp().downT());
        NDArray out = h1.add(mlp); // [B, T, H]
        if (observer.observesLayerOutput(spec.index())) {
            observer.onLayerOutput(spec.index(), batch, out);
        }
        return out;
    }

    /** The MoE block on the real (unpadded) tokens. */
    private NDArray moe(NDArray x, LayerWeights.Moe w, MoeOverride ov, int layer, TokenBatch batch, ForwardObserver observer,
            NDManager scope) {
        long h = config.hiddenSize();
        long b = batch.size();
        long t = batch.maxLength();
        NDArray flat = x.reshape(b * t, h); // [B*T, H]
        if (!batch.padded()) {
            return SparseMoeBlock.forward(flat, w, ov, config.moe(), layer, batch, observer, scope, dispatch).reshape(b, t, h);
        }
        NDArray real = scope.create(batch.realPositions());
        NDArray out = SparseMoeBlock.forward(flat.get(scope, new NDIndex("{}", real)), w, ov, config.moe(), layer, batch,
                observer, scope, dispatch); // [N, H]
        NDArray full = scope.zeros(flat.getShape());
        full.set(new NDIndex("{}", real), out);
        return full.reshape(b, t, h);
    }

    /**
     * Additive causal mask [T, T] (−inf above the diagonal and outside a sliding window), a slice in {@code scope} of
     * one cached table grown by doubling, so memory does not grow with the number of distinct lengths.
     */
    private synchronized NDArray mask(int len, NDManager scope) {
        long cap = mask == null ? 0 : mask.getShape().get(0);
        if (len > cap) {
            int c = (int) Math.max(256, cap);
            while (c < len) {
                c *= 2;
            }
            Integer window = config.attention().slidingWindow();
            float[] m = new float[c * c];
            for (int i = 0; i < c; i++) {
                for (int j = 0; j < c; j++) {
                    boolean visible = j <= i && (window == null || i - j < window);
                    m[i * c + j] = visible ? 0f : Float.NEGATIVE_INFINITY;
                }
            }
            if (mask != null) {
                mask.close();
            }
            mask = manager.create(m, new Shape(c, c));
        }
        return mask.get(scope, new NDIndex(":{}, :{}", len, len));
    }
}
