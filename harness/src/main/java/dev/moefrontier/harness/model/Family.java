package dev.moefrontier.harness.model;

import java.util.List;

/**
 * Everything that differs between MoE families, as data: where the text config lives, tensor names, norm and
 * router conventions. The one model definition ({@link MoeTransformer}) reads this table instead of branching on
 * model types. Add a family by adding a row to {@link Families}.
 *
 * @param modelType the config's {@code model_type}
 * @param textConfigKey key of a nested text config ({@code text_config}), or null when the settings are top level
 * @param prefix prefix of the decoder's tensors ({@code model.} or {@code model.language_model.})
 * @param moeModule module name of the sparse block inside a layer ({@code mlp} or {@code block_sparse_moe})
 * @param expertProjections per-expert projection names in the order gate, up, down
 * @param numExpertsKey config key of the routed expert count
 * @param expertIntermediateKey config key of the routed expert width
 * @param denseIntermediateKey config key of the dense MLP width (for dense layers), or null when every layer is MoE
 * @param qkNorm how q and k are normalized before RoPE
 * @param normWeight how RMSNorm weights scale the normalized input
 * @param renorm whether top-k weights are renormalized
 * @param sharedExpert whether MoE blocks add a sigmoid-gated shared expert
 * @param sparseLayers which layers are MoE
 * @param attentionBias which attention projections carry a bias, and the config key that switches them
 * @param hybridAttention whether layers alternate Gated DeltaNet and full attention ({@code layer_types})
 * @param ignoredPrefixes checkpoint tensors outside the text decoder that are skipped (vision tower, MTP head)
 * @param tieDefault value of {@code tie_word_embeddings} when the key is absent
 * @param slidingWindowKey config key of a sliding window applied to every layer ({@code sliding_window}, Mixtral), or
 *     null when the family's window schedule is not supported (then {@code use_sliding_window: true} is refused)
 */
public record Family(
        String modelType,
        String textConfigKey,
        String prefix,
        String moeModule,
        List<String> expertProjections,
        String numExpertsKey,
        String expertIntermediateKey,
        String denseIntermediateKey,
        QkNorm qkNorm,
        NormWeight normWeight,
        TopkRenorm renorm,
        boolean sharedExpert,
        SparseLayers sparseLayers,
        AttentionBias attentionBias,
        boolean hybridAttention,
        List<String> ignoredPrefixes,
        boolean tieDefault,
        String slidingWindowKey) {

    /** A row of the family table, by named fields; unset fields take the most common value (see {@link Builder}). */
    public static Builder builder(String modelType) {
        return new Builder(modelType);
    }

    /**
     * Named fields of a {@link Family} row. Defaults: top-level config, prefix {@code model.}, module {@code mlp},
     * projections gate/up/down_proj, {@code num_experts} and {@code moe_intermediate_size}, no dense layers, no q/k
     * norm, plain RMSNorm weights, renormalization as the config says, no shared expert, every layer MoE, biases
     * switched by {@code attention_bias} (o_proj included), no hybrid attention, nothing ignored, untied embeddings,
     * no sliding window.
     */
    public static final class Builder {
        private final String modelType;
        private String textConfigKey;
        private String prefix = "model.";
        private String moeModule = "mlp";
        private List<String> expertProjections = List.of("gate_proj", "up_proj", "down_proj");
        private String numExpertsKey = "num_experts";
        private String expertIntermediateKey = "moe_intermediate_size";
        private String denseIntermediateKey;
        private QkNorm qkNorm = QkNorm.NONE;
        private NormWeight normWeight = NormWeight.PLAIN;
        private TopkRenorm renorm = TopkRenorm.CONFIG;
        private boolean sharedExpert;
        private SparseLayers sparseLayers = SparseLayers.ALL;
        private AttentionBias attentionBias = new AttentionBias("attention_bias", false, true);
        private boolean hybridAttention;
        private List<String> ignoredPrefixes = List.of();
        private boolean tieDefault;
        private String slidingWindowKey;

        private Builder(String modelType) {
            this.modelType = modelType;
        }

        public Builder textConfig(String key) {
            this.textConfigKey = key;
            return this;
        }

        public Builder prefix(String p) {
            this.prefix = p;
            return this;
        }

        public Builder moeModule(String m) {
            this.moeModule = m;
            return this;
        }

        public Builder expertProjections(String gate, String up, String down) {
            this.expertProjections = List.of(gate, up, down);
            return this;
        }

        public Builder numExpertsKey(String k) {
            this.numExpertsKey = k;
            return this;
        }

        public Builder expertIntermediateKey(String k) {
            this.expertIntermediateKey = k;
            return this;
        }

        public Builder denseIntermediateKey(String k) {
            this.denseIntermediateKey = k;
            return this;
        }

        public Builder qkNorm(QkNorm q) {
            this.qkNorm = q;
            return this;
        }

        public Builder normWeight(NormWeight n) {
            this.normWeight = n;
            return this;
        }

        public Builder renorm(TopkRenorm r) {
            this.renorm = r;
            return this;
        }

        public Builder sharedExpert() {
            this.sharedExpert = true;
            return this;
        }

        public Builder sparseLayers(SparseLayers s) {
            this.sparseLayers = s;
            return this;
        }

        public Builder attentionBias(String key, boolean defaultOn, boolean output) {
            this.attentionBias = new AttentionBias(key, defaultOn, output);
            return this;
        }

        public Builder hybridAttention() {
            this.hybridAttention = true;
            return this;
        }

        public Builder ignoredPrefixes(String... prefixes) {
            this.ignoredPrefixes = List.of(prefixes);
            return this;
        }

        public Builder slidingWindowKey(String key) {
            this.slidingWindowKey = key;
            return this;
        }

        public Family build() {
            return new Family(modelType, textConfigKey, prefix, moeModule, expertProjections, numExpertsKey, expertIntermediateKey,
                    denseIntermediateKey, qkNorm, normWeight, renorm, sharedExpert, sparseLayers, attentionBias, hybridAttention,
                    ignoredPrefixes, tieDefault, slidingWindowKey);
        }
    }

    /** Normalization of q and k before RoPE. */
    public enum QkNorm {
        /** No q/k norm (Mixtral, Qwen2-MoE). */
        NONE,
        /** RMSNorm over the full projected width before splitting into heads (OLMoE). */
        FULL_WIDTH,
        /** RMSNorm over head_dim, applied to each head with a shared weight (Qwen3-MoE, Qwen3.5). */
        PER_HEAD
    }

    /** RMSNorm weight convention. */
    public enum NormWeight {
        /** {@code w * x / rms(x)}. */
        PLAIN,
        /** Zero-centred weights: {@code (1 + w) * x / rms(x)} (Qwen3.5). */
        ONE_PLUS
    }

    /** Top-k weight renormalization. */
    public enum TopkRenorm {
        /** Follow the config's {@code norm_topk_prob} (default false). */
        CONFIG,
        /** Always renormalize (Mixtral, Qwen3.5). */
        ALWAYS
    }

    /** Which decoder layers carry a sparse MoE block. */
    public enum SparseLayers {
        /** Every layer. */
        ALL,
        /** {@code L not in mlp_only_layers and num_experts > 0 and (L + 1) % decoder_sparse_step == 0}. */
        STEP_AND_MLP_ONLY
    }

    /**
     * Biases of the attention projections.
     *
     * @param key config key that switches the biases on, or null when fixed
     * @param defaultOn value when the key is absent (or the fixed value when key is null)
     * @param output whether o_proj has a bias too when on
     */
    public record AttentionBias(String key, boolean defaultOn, boolean output) {}

    /** Tensor name of a decoder-level weight, e.g. {@code model.embed_tokens.weight}. */
    public String decoder(String suffix) {
        return prefix + suffix;
    }

    /** Tensor name inside layer {@code L}, e.g. {@code model.layers.3.self_attn.q_proj.weight}. */
    public String layer(int layer, String suffix) {
        return prefix + "layers." + layer + "." + suffix;
    }

    /** Router weight of layer {@code L}. */
    public String router(int layer) {
        return layer(layer, moeModule + ".gate.weight");
    }

    /** Per-expert projection weight; {@code which} is 0 = gate, 1 = up, 2 = down. */
    public String expert(int layer, int expert, int which) {
        return layer(layer, moeModule + ".experts." + expert + "." + expertProjections.get(which) + ".weight");
    }

    /** Fused gate/up tensor [E, 2I, H] (gate rows first). */
    public String fusedGateUp(int layer) {
        return layer(layer, moeModule + ".experts.gate_up_proj");
    }

    /** Fused down tensor [E, H, I]. */
    public String fusedDown(int layer) {
        return layer(layer, moeModule + ".experts.down_proj");
    }

    /** Shared-expert projection; {@code which} is 0 = gate, 1 = up, 2 = down. */
    public String sharedExpert(int layer, int which) {
        return layer(layer, moeModule + ".shared_expert." + DENSE_PROJ.get(which) + ".weight");
    }

    /** Sigmoid gate of the shared expert [1, H]. */
    public String sharedExpertGate(int layer) {
        return layer(layer, moeModule + ".shared_expert_gate.weight");
    }

    /** Dense MLP projection of a non-MoE layer; {@code which} is 0 = gate, 1 = up, 2 = down. */
    public String denseMlp(int layer, int which) {
        return layer(layer, "mlp." + DENSE_PROJ.get(which) + ".weight");
    }

    /** Whether a checkpoint tensor lies outside the text decoder and is skipped on purpose. */
    public boolean ignored(String tensor) {
        if (tensor.endsWith("rotary_emb.inv_freq")) {
            return true; // buffer saved by old transformers versions; recomputed from the config
        }
        for (String p : ignoredPrefixes) {
            if (tensor.startsWith(p)) {
                return true;
            }
        }
        return false;
    }

    static final List<String> DENSE_PROJ = List.of("gate_proj", "up_proj", "down_proj");
}
