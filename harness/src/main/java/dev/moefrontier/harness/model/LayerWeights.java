package dev.moefrontier.harness.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;

/**
 * The weights of one decoder layer in compute layout: every linear weight is stored transposed ({@code [in, out]},
 * a view), so activations always come first in an op and results land on the activation's manager. Norm weights
 * already carry the family's convention ({@code 1 + w} for Qwen3.5). Closing releases the layer's memory.
 *
 * @param layer decoder layer index
 * @param manager owns every array below
 * @param inputNorm [H]
 * @param postNorm [H]
 * @param attention softmax attention, or null for a linear-attention layer
 * @param linear Gated DeltaNet, or null
 * @param moe sparse MoE block, or null for a dense layer
 * @param mlp dense MLP, or null for a MoE layer
 */
public record LayerWeights(int layer, NDManager manager, NDArray inputNorm, NDArray postNorm, Attention attention,
        Linear linear, Moe moe, Mlp mlp) implements AutoCloseable {

    /**
     * Softmax attention.
     *
     * @param qT [H, nh*hd] or [H, 2*nh*hd] with an output gate
     * @param kT [H, nkv*hd]
     * @param vT [H, nkv*hd]
     * @param oT [nh*hd, H]
     * @param qBias optional
     * @param kBias optional
     * @param vBias optional
     * @param oBias optional
     * @param qNorm [nh*hd] (full width) or [hd] (per head), optional
     * @param kNorm like qNorm
     */
    public record Attention(NDArray qT, NDArray kT, NDArray vT, NDArray oT, NDArray qBias, NDArray kBias, NDArray vBias,
            NDArray oBias, NDArray qNorm, NDArray kNorm) {}

    /**
     * Gated DeltaNet (Qwen3.5 linear attention).
     *
     * @param qkvT [H, C]
     * @param zT [H, nv*dv]
     * @param bT [H, nv]
     * @param aT [H, nv]
     * @param conv [C, Kc] depthwise causal kernel
     * @param negA -exp(A_log) [nv]
     * @param dtBias [nv]
     * @param norm [dv] plain weight of the gated RMSNorm
     * @param outT [nv*dv, H]
     */
    public record Linear(NDArray qkvT, NDArray zT, NDArray bT, NDArray aT, NDArray conv, NDArray negA, NDArray dtBias,
            NDArray norm, NDArray outT) {}

    /**
     * Sparse MoE block.
     *
     * @param routerT [H, E]
     * @param gateUpT per expert [H, 2I] (gate columns first)
     * @param downT per expert [I, H]
     * @param sharedGateUpT [H, 2SI], or null
     * @param sharedDownT [SI, H], or null
     * @param sharedGateT [H, 1], or null
     * @param gateUpStack every expert's gateUpT stacked [E, H, 2I], or null (training: one batched product)
     * @param downStack every expert's downT stacked [E, I, H], or null
     */
    public record Moe(NDArray routerT, List<NDArray> gateUpT, List<NDArray> downT, NDArray sharedGateUpT,
            NDArray sharedDownT, NDArray sharedGateT, NDArray gateUpStack, NDArray downStack) {

        public Moe(NDArray routerT, List<NDArray> gateUpT, List<NDArray> downT, NDArray sharedGateUpT, NDArray sharedDownT,
                NDArray sharedGateT) {
            this(routerT, gateUpT, downT, sharedGateUpT, sharedDownT, sharedGateT, null, null);
        }

        public int numExperts() {
            return gateUpT.size();
        }
    }

    /**
     * Dense gated MLP.
     *
     * @param gateUpT [H, 2I]
     * @param downT [I, H]
     */
    public record Mlp(NDArray gateUpT, NDArray downT) {}

    @Override
    public void close() {
        manager.close();
    }
}
