package dev.moefrontier.minis;

import dev.moefrontier.harness.model.SyntheticCheckpoint;
import java.util.List;

/**
 * One embedded mini backbone: architecture (a real family, with the paper backbone's expert topology at toy width)
 * and training settings. The three minis mirror OLMoE-1B-7B (64 experts, top-8) and the Qwen3.5 MoE family (256
 * experts, top-8, a shared expert as wide as one routed expert, Gated DeltaNet and full attention 3:1).
 *
 * @param name e.g. {@code olmoe-mini}
 * @param modelType the Hugging Face family
 * @param layers decoder layers
 * @param hidden hidden size
 * @param heads attention heads (Qwen3.5: also the Gated DeltaNet value heads; key heads are half)
 * @param kvHeads key/value heads
 * @param headDim head dimension
 * @param experts routed experts
 * @param topK experts per token
 * @param intermediate routed expert width
 * @param shared shared-expert width (0: none)
 * @param fullAttentionInterval Qwen3.5: every n-th layer is full attention
 * @param vocab vocabulary rows (the tokenizer's size rounded up)
 * @param context training window and max_position_embeddings
 * @param steps optimizer steps
 * @param batch windows per step
 * @param lr peak learning rate (linear warm-up, cosine decay to 10%)
 * @param auxCoef router load-balancing loss coefficient (router_aux_loss_coef)
 * @param seed initialization and data order
 */
public record MiniSpec(String name, String modelType, int layers, int hidden, int heads, int kvHeads, int headDim, int experts,
        int topK, int intermediate, int shared, int fullAttentionInterval, int vocab, int context, int steps, int batch,
        double lr, double auxCoef, long seed) {

    /** The embedded minis. */
    public static final List<MiniSpec> ALL = List.of(
            new MiniSpec("olmoe-mini", "olmoe", 4, 96, 4, 4, 24, 64, 8, 48, 0, 0, 512, 128, 800, 8, 6e-3, 0.01, 1),
            new MiniSpec("qwen35-mini-a", "qwen3_5_moe", 4, 64, 4, 2, 16, 256, 8, 16, 16, 4, 512, 128, 800, 8, 6e-3, 0.01, 2),
            new MiniSpec("qwen35-mini-b", "qwen3_5_moe", 8, 64, 4, 2, 16, 256, 8, 24, 24, 4, 512, 128, 1000, 8, 6e-3, 0.01, 3));

    /** The mini called {@code name}. */
    public static MiniSpec get(String name) {
        for (MiniSpec s : ALL) {
            if (s.name().equals(name)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown mini '" + name + "' (known: " + String.join(", ", ALL.stream().map(MiniSpec::name).toList()) + ")");
    }

    /** The randomly initialized checkpoint training starts from (float32, fused experts). */
    SyntheticCheckpoint initial() {
        return SyntheticCheckpoint.of(modelType).layers(layers).hidden(hidden).heads(heads, kvHeads, headDim)
                .experts(experts, topK, intermediate).shared(Math.max(shared, 1)).fullAttentionInterval(Math.max(1, fullAttentionInterval))
                .vocab(vocab).fusedExperts(true).routerScale(1f).seed(seed);
    }

    /** A copy with other training length and batch (quick runs, tests). */
    public MiniSpec withTraining(int steps, int batch) {
        return new MiniSpec(name, modelType, layers, hidden, heads, kvHeads, headDim, experts, topK, intermediate, shared,
                fullAttentionInterval, vocab, context, steps, batch, lr, auxCoef, seed);
    }
}
