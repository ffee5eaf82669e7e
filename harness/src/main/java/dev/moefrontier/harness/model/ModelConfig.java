package dev.moefrontier.harness.model;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.moefrontier.harness.io.CheckpointException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A Hugging Face {@code config.json} normalized across families. Parsing validates every value the runtime uses and
 * reports problems as one line naming the file and key.
 *
 * @param family the adapter row
 * @param source the file it was read from (for messages)
 * @param raw the text-model JSON object (nested {@code text_config} for composite configs)
 * @param root the whole JSON object as read
 * @param vocabSize V
 * @param hiddenSize H
 * @param numLayers decoder layers
 * @param rmsEps epsilon of every RMSNorm
 * @param tieEmbeddings whether logits use the embedding matrix
 * @param torchDtype dtype named by the config ({@code torch_dtype} or {@code dtype}), or null
 * @param attention softmax-attention settings
 * @param moe MoE settings
 * @param linear Gated DeltaNet settings, or null when the family has none
 * @param layers per-layer token mixer and MLP kind
 */
public record ModelConfig(
        Family family,
        Path source,
        JsonObject raw,
        JsonObject root,
        int vocabSize,
        int hiddenSize,
        int numLayers,
        double rmsEps,
        boolean tieEmbeddings,
        String torchDtype,
        AttentionSpec attention,
        MoeSpec moe,
        LinearAttentionSpec linear,
        List<LayerSpec> layers) {

    /** Token mixer of a layer. */
    public enum Mixer { ATTENTION, LINEAR_ATTENTION }

    /** MLP of a layer. */
    public enum Mlp { MOE, DENSE }

    /** One decoder layer's structure. */
    public record LayerSpec(int index, Mixer mixer, Mlp mlp) {}

    /**
     * Softmax attention.
     *
     * @param heads query heads nh
     * @param kvHeads key/value heads nkv
     * @param headDim hd
     * @param ropeTheta RoPE base
     * @param rotaryDim dimensions of each head that RoPE rotates (hd unless partial)
     * @param qkvBias whether q/k/v projections have biases
     * @param outputBias whether o_proj has a bias
     * @param clipQkv clamp bound for q, k, v (OLMoE), or null
     * @param slidingWindow window of the causal mask, or null for full causal attention
     * @param outputGate whether q_proj also yields a sigmoid output gate (Qwen3.5)
     */
    public record AttentionSpec(int heads, int kvHeads, int headDim, double ropeTheta, int rotaryDim, boolean qkvBias,
            boolean outputBias, Double clipQkv, Integer slidingWindow, boolean outputGate) {}

    /**
     * Sparse MoE blocks.
     *
     * @param numExperts routed experts E
     * @param topK experts per token k
     * @param intermediate routed expert width I
     * @param normTopk whether the k weights are renormalized to sum to 1
     * @param sharedIntermediate shared expert width, 0 when absent
     * @param denseIntermediate width of dense MLP layers, 0 when none
     */
    public record MoeSpec(int numExperts, int topK, int intermediate, boolean normTopk, int sharedIntermediate,
            int denseIntermediate) {}

    /**
     * Gated DeltaNet linear attention (Qwen3.5).
     *
     * @param keyHeads nk
     * @param valueHeads nv
     * @param keyDim dk
     * @param valueDim dv
     * @param convKernel Kc
     */
    public record LinearAttentionSpec(int keyHeads, int valueHeads, int keyDim, int valueDim, int convKernel) {
        /** Channels of the fused q/k/v projection: 2 nk dk + nv dv. */
        public int convChannels() {
            return 2 * keyHeads * keyDim + valueHeads * valueDim;
        }
    }

    /** The context length: {@code n_positions}, {@code max_position_embeddings} or {@code n_ctx}, else 2048 (lm-eval's rule). */
    public int maxPositions() {
        for (String k : new String[] {"n_positions", "max_position_embeddings", "n_ctx"}) {
            if (raw.has(k) && raw.get(k).isJsonPrimitive()) {
                return raw.get(k).getAsInt();
            }
        }
        return 2048;
    }

    /** Reads {@code dir/config.json}; {@code dir} must be a checkpoint directory. */
    public static ModelConfig load(Path dir) {
        if (Files.isRegularFile(dir)) {
            throw CheckpointException.of(dir, "is a file; --model takes a Hugging Face checkpoint directory (config.json"
                    + " + safetensors)");
        }
        if (!Files.isDirectory(dir)) {
            throw CheckpointException.of(dir, "no such checkpoint directory");
        }
        Path file = dir.resolve("config.json");
        String text;
        try {
            // A strict decoder: malformed bytes are an error, not replacement characters.
            text = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(file))).toString();
        } catch (java.nio.file.NoSuchFileException e) {
            throw CheckpointException.of(file, "no such file (a Hugging Face checkpoint directory needs config.json)");
        } catch (java.nio.charset.CharacterCodingException e) {
            throw CheckpointException.of(file, "not valid UTF-8 text");
        } catch (IOException e) {
            throw CheckpointException.of(file, "cannot read: " + dev.moefrontier.harness.util.IoErrors.reason(e));
        }
        JsonElement el;
        try {
            el = JsonParser.parseString(text);
        } catch (JsonParseException e) {
            throw CheckpointException.of(file, "not valid JSON: " + String.valueOf(e.getMessage()).replace('\n', ' '));
        }
        if (!el.isJsonObject()) {
            throw CheckpointException.of(file, "not a JSON object");
        }
        return parse(el.getAsJsonObject(), file);
    }

    /** Parses a config object; {@code file} is used in messages only. */
    public static ModelConfig parse(JsonObject root, Path file) {
        Keys top = new Keys(root, file, "");
        String modelType = top.string("model_type");
        Family family = Families.get(modelType);
        if (family == null) {
            throw CheckpointException.of(file, "unsupported model_type '" + modelType + "' (supported: "
                    + String.join(", ", Families.supported()) + ")");
        }
        JsonObject text = root;
        String at = "";
        if (family.textConfigKey() != null) {
            JsonElement tc = root.get(family.textConfigKey());
            if (tc == null || !tc.isJsonObject()) {
                throw CheckpointException.of(file, "missing '" + family.textConfigKey() + "' object (required for " + modelType + ")");
            }
            text = tc.getAsJsonObject();
            at = family.textConfigKey() + ".";
        }
        Keys k = new Keys(text, file, at);

        String act = k.optString("hidden_act", "silu");
        if (!act.equals("silu")) {
            throw k.error("hidden_act", "'" + act + "' is not supported (only silu)");
        }
        int vocab = k.positiveInt("vocab_size");
        int hidden = k.positiveInt("hidden_size");
        int layers = k.positiveInt("num_hidden_layers");
        double eps = k.positiveDouble("rms_norm_eps");
        boolean tie = k.optBool("tie_word_embeddings", top.optBool("tie_word_embeddings", family.tieDefault()));
        String dtype = k.optString("torch_dtype", k.optString("dtype", top.optString("torch_dtype", null)));

        AttentionSpec attention = parseAttention(family, k, hidden);
        MoeSpec moe = parseMoe(family, k);
        LinearAttentionSpec linear = family.hybridAttention() ? parseLinear(k) : null;
        List<LayerSpec> specs = parseLayers(family, k, layers, moe);
        for (String key : new String[] {"n_positions", "max_position_embeddings", "n_ctx"}) {
            if (k.has(key)) {
                k.positiveInt(key); // a context of 0 or -1 would let every input run unchecked
            }
        }
        return new ModelConfig(family, file, text, root, vocab, hidden, layers, eps, tie, dtype, attention, moe,
                linear, Collections.unmodifiableList(specs));
    }

    private static AttentionSpec parseAttention(Family family, Keys k, int hidden) {
        int heads = k.positiveInt("num_attention_heads");
        int kvHeads = k.has("num_key_value_heads") ? k.positiveInt("num_key_value_heads") : heads;
        if (heads % kvHeads != 0) {
            throw k.error("num_key_value_heads", kvHeads + " does not divide num_attention_heads " + heads);
        }
        int headDim;
        if (k.has("head_dim")) {
            headDim = k.positiveInt("head_dim");
        } else {
            if (hidden % heads != 0) {
                throw k.error("num_attention_heads", heads + " does not divide hidden_size " + hidden + " and head_dim is not set");
            }
            headDim = hidden / heads;
        }
        JsonObject ropeParams = k.optObject("rope_parameters");
        JsonObject ropeScaling = k.optObject("rope_scaling");
        for (JsonObject rp : new JsonObject[] {ropeParams, ropeScaling}) {
            if (rp != null) {
                String type = rp.has("rope_type") ? rp.get("rope_type").getAsString()
                        : rp.has("type") ? rp.get("type").getAsString() : "default";
                if (!type.equals("default")) {
                    throw k.error(rp == ropeParams ? "rope_parameters" : "rope_scaling",
                            "rope type '" + type + "' is not supported (only default RoPE)");
                }
            }
        }
        double theta;
        if (k.has("rope_theta")) {
            theta = k.positiveDouble("rope_theta");
        } else if (ropeParams != null && ropeParams.has("rope_theta")) {
            theta = new Keys(ropeParams, k.file, k.at + "rope_parameters.").positiveDouble("rope_theta");
        } else {
            theta = 10000.0;
        }
        double partial = 1.0;
        if (k.has("partial_rotary_factor")) {
            partial = k.positiveDouble("partial_rotary_factor");
        } else if (ropeParams != null && ropeParams.has("partial_rotary_factor")) {
            partial = ropeParams.get("partial_rotary_factor").getAsDouble();
        }
        int rotaryDim = (int) (headDim * partial);
        if (partial > 1.0 || rotaryDim % 2 != 0 || rotaryDim == 0) {
            throw k.error("partial_rotary_factor", partial + " gives " + rotaryDim + " rotary dims of head_dim " + headDim
                    + " (need an even number in 2.." + headDim + ")");
        }
        Family.AttentionBias ab = family.attentionBias();
        boolean biasOn = ab.key() == null ? ab.defaultOn() : k.optBool(ab.key(), ab.defaultOn());
        Double clip = k.optNullableDouble("clip_qkv");
        Integer window = null;
        if (family.slidingWindowKey() != null && k.has(family.slidingWindowKey())) {
            window = k.optNullableInt(family.slidingWindowKey());
        } else if (k.optBool("use_sliding_window", false)) {
            // Qwen's per-layer window schedule (max_window_layers) is not implemented; real MoE releases keep it off.
            throw k.error("use_sliding_window", "true is not supported for " + family.modelType());
        }
        boolean gate = family.hybridAttention() && k.optBool("attn_output_gate", true);
        return new AttentionSpec(heads, kvHeads, headDim, theta, rotaryDim, biasOn, biasOn && ab.output(), clip, window, gate);
    }

    private static MoeSpec parseMoe(Family family, Keys k) {
        int experts = k.positiveInt(family.numExpertsKey());
        int topK = k.positiveInt("num_experts_per_tok");
        if (topK > experts) {
            throw k.error("num_experts_per_tok", topK + " exceeds " + family.numExpertsKey() + " " + experts);
        }
        int inter = k.positiveInt(family.expertIntermediateKey());
        boolean norm = family.renorm() == Family.TopkRenorm.ALWAYS || k.optBool("norm_topk_prob", false);
        int shared = family.sharedExpert() ? k.positiveInt("shared_expert_intermediate_size") : 0;
        int dense = family.denseIntermediateKey() != null && k.has(family.denseIntermediateKey())
                ? k.positiveInt(family.denseIntermediateKey()) : 0;
        return new MoeSpec(experts, topK, inter, norm, shared, dense);
    }

    private static LinearAttentionSpec parseLinear(Keys k) {
        LinearAttentionSpec s = new LinearAttentionSpec(k.positiveInt("linear_num_key_heads"), k.positiveInt("linear_num_value_heads"),
                k.positiveInt("linear_key_head_dim"), k.positiveInt("linear_value_head_dim"), k.positiveInt("linear_conv_kernel_dim"));
        if (s.valueHeads() % s.keyHeads() != 0) {
            throw k.error("linear_num_value_heads", s.valueHeads() + " is not a multiple of linear_num_key_heads " + s.keyHeads());
        }
        return s;
    }

    private static List<LayerSpec> parseLayers(Family family, Keys k, int layers, MoeSpec moe) {
        Mixer[] mixers = new Mixer[layers];
        java.util.Arrays.fill(mixers, Mixer.ATTENTION);
        if (family.hybridAttention()) {
            int interval = k.has("full_attention_interval") ? k.positiveInt("full_attention_interval") : 4;
            JsonArray types = k.optArray("layer_types");
            for (int i = 0; i < layers; i++) {
                mixers[i] = (i + 1) % interval == 0 ? Mixer.ATTENTION : Mixer.LINEAR_ATTENTION;
            }
            if (types != null) {
                if (types.size() != layers) {
                    throw k.error("layer_types", "has " + types.size() + " entries for " + layers + " layers");
                }
                for (int i = 0; i < layers; i++) {
                    String t = types.get(i).getAsString();
                    Mixer m = switch (t) {
                        case "full_attention" -> Mixer.ATTENTION;
                        case "linear_attention" -> Mixer.LINEAR_ATTENTION;
                        default -> throw k.error("layer_types", "entry " + i + " is '" + t + "' (expected full_attention or linear_attention)");
                    };
                    mixers[i] = m; // explicit layer_types win over the interval
                }
            }
        }
        Set<Integer> mlpOnly = new HashSet<>();
        int step = 1;
        if (family.sparseLayers() == Family.SparseLayers.STEP_AND_MLP_ONLY) {
            step = k.has("decoder_sparse_step") ? k.positiveInt("decoder_sparse_step") : 1;
            JsonArray only = k.optArray("mlp_only_layers");
            if (only != null) {
                for (JsonElement e : only) {
                    mlpOnly.add(e.getAsInt());
                }
            }
        }
        List<LayerSpec> specs = new ArrayList<>();
        boolean anyDense = false;
        for (int i = 0; i < layers; i++) {
            boolean sparse = !mlpOnly.contains(i) && moe.numExperts() > 0 && (i + 1) % step == 0;
            anyDense |= !sparse;
            specs.add(new LayerSpec(i, mixers[i], sparse ? Mlp.MOE : Mlp.DENSE));
        }
        if (anyDense && moe.denseIntermediate() <= 0) {
            throw k.error(family.denseIntermediateKey() == null ? "num_hidden_layers" : family.denseIntermediateKey(),
                    "dense (non-MoE) layers need a positive intermediate_size");
        }
        return specs;
    }

    /** Decoder layers that carry a sparse MoE block. */
    public List<Integer> moeLayers() {
        List<Integer> out = new ArrayList<>();
        for (LayerSpec s : layers) {
            if (s.mlp() == Mlp.MOE) {
                out.add(s.index());
            }
        }
        return out;
    }

    public String modelType() {
        return family.modelType();
    }

    /** Typed, located access to config keys. */
    static final class Keys {
        private final JsonObject o;
        private final Path file;
        private final String at;

        Keys(JsonObject o, Path file, String at) {
            this.o = o;
            this.file = file;
            this.at = at;
        }

        CheckpointException error(String key, String msg) {
            return CheckpointException.of(file, "'" + at + key + "': " + msg);
        }

        boolean has(String key) {
            return o.has(key) && !o.get(key).isJsonNull();
        }

        private JsonElement need(String key) {
            if (!has(key)) {
                throw CheckpointException.of(file, "missing key '" + at + key + "'");
            }
            return o.get(key);
        }

        String string(String key) {
            JsonElement e = need(key);
            if (!e.isJsonPrimitive()) {
                throw error(key, "expected a string");
            }
            return e.getAsString();
        }

        String optString(String key, String def) {
            return has(key) ? string(key) : def;
        }

        int positiveInt(String key) {
            JsonElement e = need(key);
            try {
                long v = new java.math.BigDecimal(e.getAsString()).longValueExact();
                if (v <= 0 || v > Integer.MAX_VALUE) {
                    throw error(key, "must be a positive integer, got " + e);
                }
                return (int) v;
            } catch (NumberFormatException | ArithmeticException | UnsupportedOperationException | IllegalStateException ex) {
                throw error(key, "must be a positive integer, got " + e);
            }
        }

        double positiveDouble(String key) {
            JsonElement e = need(key);
            try {
                double v = e.getAsDouble();
                if (!(v > 0) || Double.isInfinite(v)) {
                    throw error(key, "must be a positive number, got " + e);
                }
                return v;
            } catch (NumberFormatException | UnsupportedOperationException | IllegalStateException ex) {
                throw error(key, "must be a positive number, got " + e);
            }
        }

        boolean optBool(String key, boolean def) {
            if (!has(key)) {
                return def;
            }
            JsonElement e = o.get(key);
            if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
                throw error(key, "must be true or false, got " + e);
            }
            return e.getAsBoolean();
        }

        Double optNullableDouble(String key) {
            return has(key) ? positiveDouble(key) : null;
        }

        Integer optNullableInt(String key) {
            return has(key) ? positiveInt(key) : null;
        }

        JsonObject optObject(String key) {
            if (!has(key)) {
                return null;
            }
            if (!o.get(key).isJsonObject()) {
                throw error(key, "must be an object");
            }
            return o.getAsJsonObject(key);
        }

        JsonArray optArray(String key) {
            if (!has(key)) {
                return null;
            }
            if (!o.get(key).isJsonArray()) {
                throw error(key, "must be a list");
            }
            return o.getAsJsonArray(key);
        }
    }
}
