package dev.moefrontier.harness.model;

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
    private static final Map<String, Family> TABLE = new TreeMap<>();

    static {
        add(Family.builder("olmoe").expertIntermediateKey("intermediate_size").qkNorm(QkNorm.FULL_WIDTH).build());
        add(Family.builder("qwen2_moe").denseIntermediateKey("intermediate_size").sharedExpert()
                .sparseLayers(SparseLayers.STEP_AND_MLP_ONLY).attentionBias("qkv_bias", true, false).build());
        add(Family.builder("qwen3_moe").denseIntermediateKey("intermediate_size").qkNorm(QkNorm.PER_HEAD)
                .sparseLayers(SparseLayers.STEP_AND_MLP_ONLY).build());
        add(Family.builder("mixtral").moeModule("block_sparse_moe").expertProjections("w1", "w3", "w2")
                .numExpertsKey("num_local_experts").expertIntermediateKey("intermediate_size").renorm(TopkRenorm.ALWAYS)
                .attentionBias(null, false, false).slidingWindowKey("sliding_window").build());
        add(Family.builder("qwen3_5_moe").textConfig("text_config").prefix("model.language_model.").qkNorm(QkNorm.PER_HEAD)
                .normWeight(NormWeight.ONE_PLUS).renorm(TopkRenorm.ALWAYS).sharedExpert().hybridAttention()
                .ignoredPrefixes("model.visual.", "mtp.").build());
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
