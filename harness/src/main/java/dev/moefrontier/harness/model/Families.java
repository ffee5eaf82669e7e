package dev.moefrontier.harness.model;

import dev.moefrontier.harness.model.Family.AttentionBias;
import dev.moefrontier.harness.model.Family.NormWeight;
import dev.moefrontier.harness.model.Family.QkNorm;
import dev.moefrontier.harness.model.Family.SparseLayers;
import dev.moefrontier.harness.model.Family.TopkRenorm;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The adapter table: one row per supported {@code model_type}. */
public final class Families {
    private static final List<String> GUD = List.of("gate_proj", "up_proj", "down_proj");

    private static final Map<String, Family> TABLE = new TreeMap<>();

    static {
        // model_type, text cfg, prefix, moe module, projections, #experts key, expert I key, dense I key,
        // qk norm, norm weight, renorm, shared expert, sparse layers, attention bias, hybrid, ignored, tie default
        add(new Family("olmoe", null, "model.", "mlp", GUD, "num_experts", "intermediate_size", null,
                QkNorm.FULL_WIDTH, NormWeight.PLAIN, TopkRenorm.CONFIG, false, SparseLayers.ALL,
                new AttentionBias("attention_bias", false, true), false, List.of(), false));
        add(new Family("qwen2_moe", null, "model.", "mlp", GUD, "num_experts", "moe_intermediate_size", "intermediate_size",
                QkNorm.NONE, NormWeight.PLAIN, TopkRenorm.CONFIG, true, SparseLayers.STEP_AND_MLP_ONLY,
                new AttentionBias("qkv_bias", true, false), false, List.of(), false));
        add(new Family("qwen3_moe", null, "model.", "mlp", GUD, "num_experts", "moe_intermediate_size", "intermediate_size",
                QkNorm.PER_HEAD, NormWeight.PLAIN, TopkRenorm.CONFIG, false, SparseLayers.STEP_AND_MLP_ONLY,
                new AttentionBias("attention_bias", false, true), false, List.of(), false));
        add(new Family("mixtral", null, "model.", "block_sparse_moe", List.of("w1", "w3", "w2"), "num_local_experts",
                "intermediate_size", null,
                QkNorm.NONE, NormWeight.PLAIN, TopkRenorm.ALWAYS, false, SparseLayers.ALL,
                new AttentionBias(null, false, false), false, List.of(), false));
        add(new Family("qwen3_5_moe", "text_config", "model.language_model.", "mlp", GUD, "num_experts",
                "moe_intermediate_size", null,
                QkNorm.PER_HEAD, NormWeight.ONE_PLUS, TopkRenorm.ALWAYS, true, SparseLayers.ALL,
                new AttentionBias("attention_bias", false, true), true, List.of("model.visual.", "mtp."), false));
    }

    private Families() {}

    private static void add(Family f) {
        TABLE.put(f.modelType(), f);
    }

    /** The family of a {@code model_type}, or null. */
    public static Family get(String modelType) {
        return TABLE.get(modelType);
    }

    /** Supported model types, sorted. */
    public static List<String> supported() {
        return List.copyOf(Collections.unmodifiableSet(TABLE.keySet()));
    }
}
