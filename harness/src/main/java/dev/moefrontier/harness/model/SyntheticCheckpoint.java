package dev.moefrontier.harness.model;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.moefrontier.harness.io.CheckpointWriter;
import dev.moefrontier.harness.io.DType;
import dev.moefrontier.harness.io.SafetensorsWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Random checkpoints of any supported family and size, in the real on-disk layout (fused experts for Qwen3.5 by
 * default), for tests and benchmarks. Values are generated while writing, so checkpoints far larger than the heap can
 * be made. Linear weights are uniform with standard deviation 1/sqrt(fan_in) (activations stay O(1)); each tensor's
 * values depend only on the seed and its name.
 */
public final class SyntheticCheckpoint {
    private final String modelType;
    private int vocab = 256;
    private int hidden = 64;
    private int layers = 2;
    private int heads = 4;
    private int kvHeads = 2;
    private int headDim = 16;
    private int experts = 8;
    private int topK = 2;
    private int expertIntermediate = 32;
    private int sharedIntermediate = 64;
    private int fullAttentionInterval = 4;
    private boolean fused = true;
    private DType dtype = DType.F32;
    private long seed = 0;
    private long maxShardBytes = Long.MAX_VALUE;
    private float routerScale = 4f;
    private boolean tie;

    private SyntheticCheckpoint(String modelType) {
        if (Families.get(modelType) == null) {
            throw new IllegalArgumentException("unsupported model_type " + modelType + " (supported: " + Families.supported() + ")");
        }
        this.modelType = modelType;
        this.fused = conventions(modelType).fusedExperts();
    }

    public static SyntheticCheckpoint of(String modelType) {
        return new SyntheticCheckpoint(modelType);
    }

    public SyntheticCheckpoint vocab(int v) {
        this.vocab = v;
        return this;
    }

    public SyntheticCheckpoint hidden(int h) {
        this.hidden = h;
        return this;
    }

    public SyntheticCheckpoint layers(int n) {
        this.layers = n;
        return this;
    }

    /** Attention heads, key/value heads and head dimension. */
    public SyntheticCheckpoint heads(int nh, int nkv, int hd) {
        this.heads = nh;
        this.kvHeads = nkv;
        this.headDim = hd;
        return this;
    }

    /** Routed experts, experts per token, routed expert width. */
    public SyntheticCheckpoint experts(int e, int k, int intermediate) {
        this.experts = e;
        this.topK = k;
        this.expertIntermediate = intermediate;
        return this;
    }

    /** Shared-expert width (families with a shared expert). */
    public SyntheticCheckpoint shared(int width) {
        this.sharedIntermediate = width;
        return this;
    }

    /** Qwen3.5: every n-th layer is full attention, the others Gated DeltaNet. */
    public SyntheticCheckpoint fullAttentionInterval(int n) {
        this.fullAttentionInterval = n;
        return this;
    }

    /** Store routed experts fused ([E, 2I, H] / [E, H, I]) or one tensor per expert. */
    public SyntheticCheckpoint fusedExperts(boolean f) {
        this.fused = f;
        return this;
    }

    public SyntheticCheckpoint dtype(DType d) {
        this.dtype = d;
        return this;
    }

    public SyntheticCheckpoint seed(long s) {
        this.seed = s;
        return this;
    }

    /** Scale of router weights relative to 1/sqrt(H); larger gives more decisive routing. */
    public SyntheticCheckpoint routerScale(float s) {
        this.routerScale = s;
        return this;
    }

    /** Tie the LM head to the embedding (no {@code lm_head.weight}). */
    public SyntheticCheckpoint tieEmbeddings(boolean t) {
        this.tie = t;
        return this;
    }

    /** Split into shards of at most this many bytes of tensor data. */
    public SyntheticCheckpoint maxShardBytes(long b) {
        this.maxShardBytes = b;
        return this;
    }

    /**
     * What a synthetic checkpoint writes per family beyond what its {@link Family} row says: the released models'
     * conventions (architecture class, dtype key, RoPE base, norm_topk_prob, fused expert storage, nested text config
     * type). Adding a family = a {@link Families} row and a row here.
     */
    private record Conventions(String architecture, String dtypeKey, double ropeTheta, Boolean normTopk, boolean fusedExperts,
            String textModelType) {}

    private static final Map<String, Conventions> CONVENTIONS = Map.of(
            "olmoe", new Conventions("OlmoeForCausalLM", "torch_dtype", 10000.0, false, false, null),
            "qwen2_moe", new Conventions("Qwen2MoeForCausalLM", "torch_dtype", 1e6, false, false, null),
            "qwen3_moe", new Conventions("Qwen3MoeForCausalLM", "torch_dtype", 1e6, true, false, null),
            "mixtral", new Conventions("MixtralForCausalLM", "torch_dtype", 1e6, null, false, null),
            "qwen3_5_moe", new Conventions("Qwen3_5MoeForConditionalGeneration", "dtype", 1e7, null, true, "qwen3_5_moe_text"));

    private static Conventions conventions(String modelType) {
        Conventions c = CONVENTIONS.get(modelType);
        if (c == null) {
            throw new IllegalArgumentException("no synthetic-checkpoint conventions for model_type " + modelType);
        }
        return c;
    }

    /** The config.json this generator writes: the family's keys (from its {@link Family} row) and conventions. */
    public JsonObject config() {
        Family f = Families.get(modelType);
        Conventions c = conventions(modelType);
        JsonObject t = new JsonObject();
        t.addProperty("hidden_act", "silu");
        t.addProperty("hidden_size", hidden);
        t.addProperty("num_hidden_layers", layers);
        t.addProperty("num_attention_heads", heads);
        t.addProperty("num_key_value_heads", kvHeads);
        t.addProperty("head_dim", headDim);
        t.addProperty("vocab_size", vocab);
        t.addProperty("rms_norm_eps", 1e-6);
        t.addProperty("max_position_embeddings", 4096);
        t.addProperty("num_experts_per_tok", topK);
        t.addProperty("tie_word_embeddings", tie);
        t.addProperty(c.dtypeKey(), dtypeName());
        t.addProperty(f.numExpertsKey(), experts);
        t.addProperty(f.expertIntermediateKey(), expertIntermediate);
        if (f.denseIntermediateKey() != null && !f.denseIntermediateKey().equals(f.expertIntermediateKey())) {
            t.addProperty(f.denseIntermediateKey(), 2 * expertIntermediate);
        }
        if (f.sparseLayers() == Family.SparseLayers.STEP_AND_MLP_ONLY) {
            t.addProperty("decoder_sparse_step", 1);
            t.add("mlp_only_layers", new JsonArray());
        }
        if (c.normTopk() != null) {
            t.addProperty("norm_topk_prob", c.normTopk());
        }
        if (f.sharedExpert()) {
            t.addProperty("shared_expert_intermediate_size", sharedIntermediate);
        }
        if (f.hybridAttention()) {
            t.addProperty("full_attention_interval", fullAttentionInterval);
            JsonArray types = new JsonArray();
            for (int i = 0; i < layers; i++) {
                types.add((i + 1) % fullAttentionInterval == 0 ? "full_attention" : "linear_attention");
            }
            t.add("layer_types", types);
            t.addProperty("linear_num_key_heads", Math.max(1, heads / 2));
            t.addProperty("linear_num_value_heads", heads);
            t.addProperty("linear_key_head_dim", headDim);
            t.addProperty("linear_value_head_dim", headDim);
            t.addProperty("linear_conv_kernel_dim", 4);
            t.addProperty("attn_output_gate", true);
            t.addProperty("partial_rotary_factor", 0.25);
            JsonObject rope = new JsonObject();
            rope.addProperty("rope_type", "default");
            rope.addProperty("rope_theta", c.ropeTheta());
            rope.addProperty("partial_rotary_factor", 0.25);
            t.add("rope_parameters", rope);
            t.addProperty("mtp_num_hidden_layers", 0);
        } else {
            t.addProperty("rope_theta", c.ropeTheta());
        }
        JsonArray arch = new JsonArray();
        arch.add(c.architecture());
        if (f.textConfigKey() == null) {
            t.addProperty("model_type", modelType);
            t.add("architectures", arch);
            return t;
        }
        t.addProperty("model_type", c.textModelType());
        JsonObject root = new JsonObject();
        root.add("architectures", arch);
        root.addProperty("model_type", modelType);
        root.add(f.textConfigKey(), t);
        root.addProperty("tie_word_embeddings", tie);
        return root;
    }

    private String dtypeName() {
        return switch (dtype) {
            case BF16 -> "bfloat16";
            case F16 -> "float16";
            default -> "float32";
        };
    }

    /** Writes config.json and the weights into {@code dir}; returns the bytes of tensor data. */
    public long write(Path dir) throws IOException {
        JsonObject json = config();
        ModelConfig cfg = ModelConfig.parse(json, dir.resolve("config.json")); // validates before anything is written
        Files.createDirectories(dir);
        TensorLayout.ExpertStorage storage = fused ? TensorLayout.ExpertStorage.FUSED : TensorLayout.ExpertStorage.PER_EXPERT;
        CheckpointWriter w = new CheckpointWriter(maxShardBytes);
        for (Map.Entry<String, long[]> e : TensorLayout.expected(cfg, storage).entrySet()) {
            String name = e.getKey();
            long[] shape = e.getValue();
            Init init = init(cfg, name, shape);
            long tensorSeed = seed * 0x9E3779B97F4A7C15L ^ name.hashCode();
            w.add(name, dtype, shape, out -> writeValues(out, shape, init, tensorSeed));
        }
        w.write(dir);
        dev.moefrontier.harness.util.AtomicFiles.writeString(dir.resolve("config.json"),
                new GsonBuilder().setPrettyPrinting().create().toJson(json));
        return w.totalBytes();
    }

    /** How a tensor is filled: constant + uniform noise of the given standard deviation. */
    private record Init(float constant, float std) {}

    private Init init(ModelConfig cfg, String name, long[] shape) {
        boolean onePlus = cfg.family().normWeight() == Family.NormWeight.ONE_PLUS;
        if (name.endsWith("norm.weight") && !name.contains("linear_attn")) {
            return new Init(onePlus ? 0f : 1f, 0.05f);
        }
        if (name.endsWith("linear_attn.norm.weight")) {
            return new Init(1f, 0.05f);
        }
        if (name.endsWith("A_log")) {
            return new Init(1f, 0.5f);
        }
        if (name.endsWith("dt_bias") || name.endsWith(".bias")) {
            return new Init(0f, 0.05f);
        }
        if (name.endsWith("embed_tokens.weight")) {
            return new Init(0f, 1f);
        }
        long fanIn = shape[shape.length - 1];
        float std = (float) (1.0 / Math.sqrt(fanIn));
        if (name.endsWith(".gate.weight") && !name.contains("shared")) {
            std *= routerScale;
        }
        return new Init(0f, std);
    }

    private void writeValues(java.nio.channels.FileChannel out, long[] shape, Init init, long tensorSeed) throws IOException {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        SplittableRandom rnd = new SplittableRandom(tensorSeed);
        float half = (float) (init.std() * Math.sqrt(3.0)); // uniform(-a, a) has std a/sqrt(3)
        int chunk = 1 << 20;
        float[] buf = new float[chunk];
        ByteBuffer bytes = ByteBuffer.allocate(chunk * dtype.size()).order(ByteOrder.LITTLE_ENDIAN);
        for (long off = 0; off < n; off += chunk) {
            int m = (int) Math.min(chunk, n - off);
            for (int i = 0; i < m; i++) {
                buf[i] = init.constant() + half * (float) (2 * rnd.nextDouble() - 1);
            }
            ByteBuffer enc = SafetensorsWriter.encode(m == chunk ? buf : java.util.Arrays.copyOf(buf, m), dtype);
            bytes.clear();
            bytes.put(enc).flip();
            SafetensorsWriter.writeAll(out, bytes);
        }
    }
}
