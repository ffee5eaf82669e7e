package dev.moefrontier.harness.model;

import dev.moefrontier.harness.io.Checkpoint;
import dev.moefrontier.harness.io.CheckpointException;
import dev.moefrontier.harness.io.TensorInfo;
import dev.moefrontier.harness.model.ModelConfig.AttentionSpec;
import dev.moefrontier.harness.model.ModelConfig.LayerSpec;
import dev.moefrontier.harness.model.ModelConfig.LinearAttentionSpec;
import dev.moefrontier.harness.model.ModelConfig.MoeSpec;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/** The tensors (names and shapes) a config requires, and the check that a checkpoint holds exactly those. */
public final class TensorLayout {

    /** How routed experts are stored on disk. */
    public enum ExpertStorage {
        /** {@code experts.{e}.{gate,up,down}.weight}, one tensor per expert and projection. */
        PER_EXPERT,
        /** {@code experts.gate_up_proj [E, 2I, H]} and {@code experts.down_proj [E, H, I]} (Qwen3.5, transformers v5). */
        FUSED
    }

    private TensorLayout() {}

    /** Detects the expert storage from the first MoE layer's tensor names. */
    public static ExpertStorage detect(ModelConfig cfg, Checkpoint ckpt) {
        for (LayerSpec s : cfg.layers()) {
            if (s.mlp() == ModelConfig.Mlp.MOE) {
                return ckpt.has(cfg.family().fusedGateUp(s.index())) ? ExpertStorage.FUSED : ExpertStorage.PER_EXPERT;
            }
        }
        return ExpertStorage.PER_EXPERT;
    }

    /** Every tensor {@code cfg} requires, with its shape, in a stable order. */
    public static Map<String, long[]> expected(ModelConfig cfg, ExpertStorage storage) {
        Family f = cfg.family();
        Map<String, long[]> m = new LinkedHashMap<>();
        long h = cfg.hiddenSize();
        m.put(f.decoder("embed_tokens.weight"), dims(cfg.vocabSize(), h));
        for (LayerSpec s : cfg.layers()) {
            int l = s.index();
            m.put(f.layer(l, "input_layernorm.weight"), dims(h));
            m.put(f.layer(l, "post_attention_layernorm.weight"), dims(h));
            if (s.mixer() == ModelConfig.Mixer.ATTENTION) {
                attention(cfg, f, l, m);
            } else {
                linearAttention(cfg, f, l, m);
            }
            if (s.mlp() == ModelConfig.Mlp.MOE) {
                moe(cfg, f, l, storage, m);
            } else {
                long di = cfg.moe().denseIntermediate();
                m.put(f.denseMlp(l, 0), dims(di, h));
                m.put(f.denseMlp(l, 1), dims(di, h));
                m.put(f.denseMlp(l, 2), dims(h, di));
            }
        }
        m.put(f.decoder("norm.weight"), dims(h));
        if (!cfg.tieEmbeddings()) {
            m.put("lm_head.weight", dims(cfg.vocabSize(), h));
        }
        return m;
    }

    private static void attention(ModelConfig cfg, Family f, int l, Map<String, long[]> m) {
        AttentionSpec a = cfg.attention();
        long h = cfg.hiddenSize();
        long q = (long) a.heads() * a.headDim();
        long kv = (long) a.kvHeads() * a.headDim();
        m.put(f.layer(l, "self_attn.q_proj.weight"), dims(a.outputGate() ? 2 * q : q, h));
        m.put(f.layer(l, "self_attn.k_proj.weight"), dims(kv, h));
        m.put(f.layer(l, "self_attn.v_proj.weight"), dims(kv, h));
        m.put(f.layer(l, "self_attn.o_proj.weight"), dims(h, q));
        if (a.qkvBias()) {
            m.put(f.layer(l, "self_attn.q_proj.bias"), dims(a.outputGate() ? 2 * q : q));
            m.put(f.layer(l, "self_attn.k_proj.bias"), dims(kv));
            m.put(f.layer(l, "self_attn.v_proj.bias"), dims(kv));
        }
        if (a.outputBias()) {
            m.put(f.layer(l, "self_attn.o_proj.bias"), dims(h));
        }
        switch (f.qkNorm()) {
            case FULL_WIDTH -> {
                m.put(f.layer(l, "self_attn.q_norm.weight"), dims(q));
                m.put(f.layer(l, "self_attn.k_norm.weight"), dims(kv));
            }
            case PER_HEAD -> {
                m.put(f.layer(l, "self_attn.q_norm.weight"), dims(a.headDim()));
                m.put(f.layer(l, "self_attn.k_norm.weight"), dims(a.headDim()));
            }
            case NONE -> { }
        }
    }

    private static void linearAttention(ModelConfig cfg, Family f, int l, Map<String, long[]> m) {
        LinearAttentionSpec s = cfg.linear();
        long h = cfg.hiddenSize();
        long c = s.convChannels();
        long vd = (long) s.valueHeads() * s.valueDim();
        m.put(f.layer(l, "linear_attn.in_proj_qkv.weight"), dims(c, h));
        m.put(f.layer(l, "linear_attn.in_proj_z.weight"), dims(vd, h));
        m.put(f.layer(l, "linear_attn.in_proj_b.weight"), dims(s.valueHeads(), h));
        m.put(f.layer(l, "linear_attn.in_proj_a.weight"), dims(s.valueHeads(), h));
        m.put(f.layer(l, "linear_attn.conv1d.weight"), dims(c, 1, s.convKernel()));
        m.put(f.layer(l, "linear_attn.A_log"), dims(s.valueHeads()));
        m.put(f.layer(l, "linear_attn.dt_bias"), dims(s.valueHeads()));
        m.put(f.layer(l, "linear_attn.norm.weight"), dims(s.valueDim()));
        m.put(f.layer(l, "linear_attn.out_proj.weight"), dims(h, vd));
    }

    private static void moe(ModelConfig cfg, Family f, int l, ExpertStorage storage, Map<String, long[]> m) {
        MoeSpec s = cfg.moe();
        long h = cfg.hiddenSize();
        long e = s.numExperts();
        long i = s.intermediate();
        m.put(f.router(l), dims(e, h));
        if (storage == ExpertStorage.FUSED) {
            m.put(f.fusedGateUp(l), dims(e, 2 * i, h));
            m.put(f.fusedDown(l), dims(e, h, i));
        } else {
            for (int x = 0; x < e; x++) {
                m.put(f.expert(l, x, 0), dims(i, h));
                m.put(f.expert(l, x, 1), dims(i, h));
                m.put(f.expert(l, x, 2), dims(h, i));
            }
        }
        if (s.sharedIntermediate() > 0) {
            long si = s.sharedIntermediate();
            m.put(f.sharedExpert(l, 0), dims(si, h));
            m.put(f.sharedExpert(l, 1), dims(si, h));
            m.put(f.sharedExpert(l, 2), dims(h, si));
            m.put(f.sharedExpertGate(l), dims(1, h));
        }
    }

    /**
     * Checks that the checkpoint holds every required tensor with the right shape and a loadable dtype, and nothing
     * unexpected (outside the family's ignored prefixes). Throws a one-line error naming file and tensor.
     *
     * @return the detected expert storage
     */
    public static ExpertStorage validate(ModelConfig cfg, Checkpoint ckpt) {
        ExpertStorage storage = detect(cfg, ckpt);
        Map<String, long[]> want = expected(cfg, storage);
        for (Map.Entry<String, long[]> e : want.entrySet()) {
            TensorInfo t = ckpt.tensors().get(e.getKey());
            if (t == null) {
                throw CheckpointException.of(ckpt.dir(), e.getKey(), "missing from the checkpoint (required by "
                        + cfg.source().getFileName() + ", model_type " + cfg.modelType() + ")");
            }
            if (!Arrays.equals(t.shape(), e.getValue())) {
                throw CheckpointException.of(t.file(), t.name(), "shape " + t.shapeString() + " does not match "
                        + Arrays.toString(e.getValue()) + " required by " + cfg.source().getFileName());
            }
            if (!t.dtype().loadable()) {
                throw CheckpointException.of(t.file(), t.name(), "dtype " + t.dtype() + " is not supported (F32, F16, BF16)");
            }
        }
        for (TensorInfo t : ckpt.tensors().values()) {
            if (!want.containsKey(t.name()) && !cfg.family().ignored(t.name())) {
                throw CheckpointException.of(t.file(), t.name(), "unexpected tensor: not part of a " + cfg.modelType()
                        + " model with this " + cfg.source().getFileName() + " (wrong config, or a layer/expert count mismatch?)");
            }
        }
        return storage;
    }

    private static long[] dims(long... d) {
        return d;
    }
}
