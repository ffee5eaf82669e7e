package dev.moefrontier.harness.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.moefrontier.harness.io.Checkpoint;
import dev.moefrontier.harness.io.TensorInfo;
import dev.moefrontier.harness.model.ModelConfig.LayerSpec;
import dev.moefrontier.harness.model.TensorLayout.ExpertStorage;
import java.util.ArrayList;
import java.util.List;

/**
 * Loads weights from the checkpoint into compute layout. Decoder-level weights (embedding, final norm, head) stay
 * resident; layers are either kept ({@link Residency#RESIDENT}) or loaded on {@link #acquire} and dropped on
 * {@link #release} ({@link Residency#STREAM}), so a streamed forward holds about one layer at a time.
 */
public final class ModelWeights implements AutoCloseable {

    /** Whether layer weights stay in memory between uses. */
    public enum Residency { RESIDENT, STREAM }

    private final ModelConfig cfg;
    private final TensorSource loader;
    private final ExpertStorage storage;
    private final NDManager manager;
    private final Residency residency;
    private final LayerWeights[] cache;
    private final NDArray embedding;
    private final NDArray finalNorm;
    private final NDArray lmHeadT;

    public ModelWeights(ModelConfig cfg, Checkpoint ckpt, ExpertStorage storage, NDManager parent, Residency residency) {
        this(cfg, new TensorLoader(ckpt), storage, parent, residency);
    }

    /** Weights from any source, e.g. live parameters when training. */
    public ModelWeights(ModelConfig cfg, TensorSource source, ExpertStorage storage, NDManager parent, Residency residency) {
        this.cfg = cfg;
        this.loader = source;
        this.storage = storage;
        this.manager = parent.newSubManager();
        this.residency = residency;
        this.cache = new LayerWeights[cfg.numLayers()];
        Family f = cfg.family();
        this.embedding = loader.load(f.decoder("embed_tokens.weight"), manager);
        this.finalNorm = norm(loader.load(f.decoder("norm.weight"), manager));
        this.lmHeadT = cfg.tieEmbeddings() ? embedding.transpose() : loader.load("lm_head.weight", manager).transpose();
    }

    public ExpertStorage storage() {
        return storage;
    }

    public Residency residency() {
        return residency;
    }

    /** [V, H]. */
    public NDArray embedding() {
        return embedding;
    }

    /** [H], family convention applied. */
    public NDArray finalNorm() {
        return finalNorm;
    }

    /** [H, V]. */
    public NDArray lmHeadT() {
        return lmHeadT;
    }

    /** The weights of {@code layer}; pair every call with {@link #release}. */
    public synchronized LayerWeights acquire(int layer) {
        LayerWeights w = cache[layer];
        if (w == null) {
            w = load(layer);
            if (residency == Residency.RESIDENT) {
                cache[layer] = w;
            }
        }
        return w;
    }

    /** Ends a use of a layer's weights; streamed layers are freed now. */
    public synchronized void release(LayerWeights w) {
        if (residency == Residency.STREAM && cache[w.layer()] != w) {
            w.close();
        }
    }

    private LayerWeights load(int l) {
        LayerSpec spec = cfg.layers().get(l);
        Family f = cfg.family();
        NDManager m = manager.newSubManager();
        try {
            NDArray in = norm(loader.load(f.layer(l, "input_layernorm.weight"), m));
            NDArray post = norm(loader.load(f.layer(l, "post_attention_layernorm.weight"), m));
            LayerWeights.Attention attn = spec.mixer() == ModelConfig.Mixer.ATTENTION ? attention(l, m) : null;
            LayerWeights.Linear lin = spec.mixer() == ModelConfig.Mixer.LINEAR_ATTENTION ? linear(l, m) : null;
            LayerWeights.Moe moe = spec.mlp() == ModelConfig.Mlp.MOE ? moe(l, m) : null;
            LayerWeights.Mlp mlp = spec.mlp() == ModelConfig.Mlp.DENSE
                    ? new LayerWeights.Mlp(gateUp(f.denseMlp(l, 0), f.denseMlp(l, 1), m), t(f.denseMlp(l, 2), m)) : null;
            return new LayerWeights(l, m, in, post, attn, lin, moe, mlp);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    private LayerWeights.Attention attention(int l, NDManager m) {
        Family f = cfg.family();
        boolean bias = cfg.attention().qkvBias();
        boolean oBias = cfg.attention().outputBias();
        boolean qk = f.qkNorm() != Family.QkNorm.NONE;
        return new LayerWeights.Attention(
                t(f.layer(l, "self_attn.q_proj.weight"), m),
                t(f.layer(l, "self_attn.k_proj.weight"), m),
                t(f.layer(l, "self_attn.v_proj.weight"), m),
                t(f.layer(l, "self_attn.o_proj.weight"), m),
                bias ? loader.load(f.layer(l, "self_attn.q_proj.bias"), m) : null,
                bias ? loader.load(f.layer(l, "self_attn.k_proj.bias"), m) : null,
                bias ? loader.load(f.layer(l, "self_attn.v_proj.bias"), m) : null,
                oBias ? loader.load(f.layer(l, "self_attn.o_proj.bias"), m) : null,
                qk ? norm(loader.load(f.layer(l, "self_attn.q_norm.weight"), m)) : null,
                qk ? norm(loader.load(f.layer(l, "self_attn.k_norm.weight"), m)) : null);
    }

    private LayerWeights.Linear linear(int l, NDManager m) {
        Family f = cfg.family();
        ModelConfig.LinearAttentionSpec s = cfg.linear();
        NDArray conv = loader.load(f.layer(l, "linear_attn.conv1d.weight"), m);
        NDArray conv2 = conv.reshape(s.convChannels(), s.convKernel());
        NDArray aLog = loader.load(f.layer(l, "linear_attn.A_log"), m);
        NDArray negA = aLog.exp().neg();
        aLog.close();
        return new LayerWeights.Linear(
                t(f.layer(l, "linear_attn.in_proj_qkv.weight"), m),
                t(f.layer(l, "linear_attn.in_proj_z.weight"), m),
                t(f.layer(l, "linear_attn.in_proj_b.weight"), m),
                t(f.layer(l, "linear_attn.in_proj_a.weight"), m),
                conv2,
                negA,
                loader.load(f.layer(l, "linear_attn.dt_bias"), m),
                loader.load(f.layer(l, "linear_attn.norm.weight"), m),
                t(f.layer(l, "linear_attn.out_proj.weight"), m));
    }

    private LayerWeights.Moe moe(int l, NDManager m) {
        Family f = cfg.family();
        int e = cfg.moe().numExperts();
        int inter = cfg.moe().intermediate();
        int h = cfg.hiddenSize();
        List<NDArray> gateUp = new ArrayList<>(e);
        List<NDArray> down = new ArrayList<>(e);
        // Experts are kept stacked ([E, H, 2I] and [E, I, H]) and each expert's weights are views of the stacks, so
        // both dispatch strategies of the MoE block have their layout at no extra memory.
        NDArray gateUpStack;
        NDArray downStack;
        if (storage == ExpertStorage.FUSED) {
            gateUpStack = loader.load(f.fusedGateUp(l), m).transpose(0, 2, 1); // [E, H, 2I]
            downStack = loader.load(f.fusedDown(l), m).transpose(0, 2, 1); // [E, I, H]
        } else {
            // Filled expert by expert so a streamed layer's peak is the stacks plus one expert, not twice the layer.
            gateUpStack = m.zeros(new Shape(e, h, 2L * inter), DataType.FLOAT32);
            downStack = m.zeros(new Shape(e, inter, h), DataType.FLOAT32);
            for (int x = 0; x < e; x++) {
                try (NDArray g = loader.load(f.expert(l, x, 0), m); NDArray u = loader.load(f.expert(l, x, 1), m);
                        NDArray d = loader.load(f.expert(l, x, 2), m); NDArray gT = g.transpose(); NDArray uT = u.transpose();
                        NDArray dT = d.transpose()) {
                    gateUpStack.set(new NDIndex("{}, :, :{}", x, inter), gT); // gate columns first
                    gateUpStack.set(new NDIndex("{}, :, {}:", x, inter), uT);
                    downStack.set(new NDIndex("{}", x), dT);
                }
            }
        }
        for (int x = 0; x < e; x++) {
            gateUp.add(gateUpStack.get(x)); // [H, 2I]
            down.add(downStack.get(x)); // [I, H]
        }
        NDArray sgu = null;
        NDArray sd = null;
        NDArray sg = null;
        if (cfg.moe().sharedIntermediate() > 0) {
            sgu = gateUp(f.sharedExpert(l, 0), f.sharedExpert(l, 1), m);
            sd = t(f.sharedExpert(l, 2), m);
            sg = t(f.sharedExpertGate(l), m);
        }
        return new LayerWeights.Moe(t(f.router(l), m), List.copyOf(gateUp), List.copyOf(down), sgu, sd, sg, gateUpStack, downStack);
    }

    /** [I, H] gate and [I, H] up → [H, 2I] with gate columns first. */
    private NDArray gateUp(String gate, String up, NDManager m) {
        NDArray g = loader.load(gate, m);
        NDArray u = loader.load(up, m);
        NDArray cat = NDArrays.concat(new NDList(g, u), 0);
        g.close();
        u.close();
        return cat.transpose();
    }

    private NDArray t(String name, NDManager m) {
        return loader.load(name, m).transpose();
    }

    /** Applies the family's norm-weight convention. */
    private NDArray norm(NDArray w) {
        if (cfg.family().normWeight() == Family.NormWeight.ONE_PLUS) {
            NDArray shifted = w.add(1f);
            w.close();
            return shifted;
        }
        return w;
    }

    @Override
    public void close() {
        manager.close();
    }
}
