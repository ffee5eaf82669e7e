package dev.moefrontier.harness.calib;

/** Calibration statistics a compressor can declare it needs; one streamed pass collects the union. */
public enum Statistic {
    /** |X_e| and the summed gate weight per expert (always collected). */
    ROUTING,
    /** Σ g^α ||f_e(x)||^β over routed tokens, α, β ∈ {0, 1, 2} (methods.md §3: frequency ... REAP). */
    OUTPUT_NORMS,
    /** Wanda's Σ X_j² of every expert linear layer's inputs over its routed tokens, and of the shared expert (§5). */
    WANDA_INPUTS,
    /** Σ z zᵀ of router logits over all tokens: router-logit similarity (M-SMoE). */
    ROUTER_GRAM,
    /** Σ f_e(x) of every expert over all tokens: mean expert outputs (HC-SMoE); costs E expert passes per batch. */
    MEAN_OUTPUTS
}
