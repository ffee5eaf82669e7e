package dev.moefrontier.harness.model;

/**
 * Per-layer overrides applied on top of a loaded model's weights while it runs (see {@link MoeOverride}). Called once
 * per layer step with the layer's loaded weights, so a patch can derive replacement experts (merged, masked) from
 * them and, for streamed models, free them again when the next layer is asked for.
 */
@FunctionalInterface
public interface ModelPatch {
    /** The dense model. */
    ModelPatch NONE = (layer, weights) -> null;

    /** The override of MoE layer {@code layer}, or null to run it as loaded. */
    MoeOverride moe(int layer, LayerWeights.Moe weights);
}
