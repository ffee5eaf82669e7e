package dev.moefrontier.harness.model;

import ai.djl.ndarray.NDArray;
import java.util.Arrays;

/**
 * How one MoE layer of a loaded model is changed by a compression plan, without copying the layer (methods.md §2).
 *
 * <ul>
 *   <li>{@code dropped}: these experts leave the router (their logits become −inf before the softmax, which is exactly
 *       slicing their router rows) and top-k runs over the survivors.
 *   <li>{@code redirect}: top-k runs over all E experts as usual, then every selected index e becomes
 *       {@code redirect[e]}; the gate weights of slots that land on the same expert are combined by
 *       {@code duplicateGates} (summed by default).
 *   <li>{@code gateUpT} / {@code downT}: replacement weights (compute layout) for some experts, e.g. merged or
 *       masked ones; null entries keep the loaded weights. Likewise the shared expert.
 *   <li>{@code routerT}: a replacement router [H, E0], e.g. the original router of an exported redirect plan, whose
 *       E0 columns the redirect map sends to the E loaded experts.
 * </ul>
 *
 * @param dropped per expert, whether it is removed from routing; null when none is
 * @param redirect per expert, the expert that serves it; null for the identity
 * @param gateUpT per expert [H, 2I] replacement or null; the array itself may be null
 * @param downT per expert [I, H] replacement or null; the array itself may be null
 * @param sharedGateUpT replacement for the shared expert's gate/up, or null
 * @param sharedDownT replacement for the shared expert's down, or null
 * @param routerT replacement router [H, E0], or null
 * @param gateUpStack all E experts' gate/up weights [E, H, 2I] as run (replacements included), or null; when set,
 *     the padded dispatch uses it instead of restacking the experts on every call
 * @param downStack likewise [E, I, H], or null
 * @param duplicateGates how the gates of slots redirected to one expert combine
 */
public record MoeOverride(boolean[] dropped, int[] redirect, NDArray[] gateUpT, NDArray[] downT, NDArray sharedGateUpT,
        NDArray sharedDownT, NDArray routerT, NDArray gateUpStack, NDArray downStack, DuplicateGates duplicateGates) {

    /**
     * When two of a token's top-k slots are redirected to the same expert (methods.md §2 redirect, §4.12): SUM adds
     * their gates (the reference), MAX keeps the larger, RENORMALIZE keeps the first slot's gate and rescales the
     * token's remaining gates so they sum to what its top-k gates summed to.
     */
    public enum DuplicateGates { SUM, MAX, RENORMALIZE }

    public MoeOverride {
        duplicateGates = duplicateGates == null ? DuplicateGates.SUM : duplicateGates;
    }

    /** With the reference's summed duplicate gates. */
    public MoeOverride(boolean[] dropped, int[] redirect, NDArray[] gateUpT, NDArray[] downT, NDArray sharedGateUpT,
            NDArray sharedDownT, NDArray routerT, NDArray gateUpStack, NDArray downStack) {
        this(dropped, redirect, gateUpT, downT, sharedGateUpT, sharedDownT, routerT, gateUpStack, downStack, DuplicateGates.SUM);
    }

    /** Without precomputed stacks. */
    public MoeOverride(boolean[] dropped, int[] redirect, NDArray[] gateUpT, NDArray[] downT, NDArray sharedGateUpT,
            NDArray sharedDownT, NDArray routerT) {
        this(dropped, redirect, gateUpT, downT, sharedGateUpT, sharedDownT, routerT, null, null);
    }

    /** Routing changes only. */
    public static MoeOverride routing(boolean[] dropped, int[] redirect) {
        return new MoeOverride(dropped, redirect, null, null, null, null, null);
    }

    /** The gate/up weights to use for {@code expert}. */
    NDArray gateUp(LayerWeights.Moe w, int expert) {
        return gateUpT != null && gateUpT[expert] != null ? gateUpT[expert] : w.gateUpT().get(expert);
    }

    /** The down weights to use for {@code expert}. */
    NDArray down(LayerWeights.Moe w, int expert) {
        return downT != null && downT[expert] != null ? downT[expert] : w.downT().get(expert);
    }

    /** Whether any expert is dropped. */
    boolean drops() {
        if (dropped == null) {
            return false;
        }
        for (boolean d : dropped) {
            if (d) {
                return true;
            }
        }
        return false;
    }

    /** Whether the redirect map is not the identity. */
    boolean redirects() {
        if (redirect == null) {
            return false;
        }
        if (routerT != null) {
            return true;
        }
        for (int i = 0; i < redirect.length; i++) {
            if (redirect[i] != i) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return "MoeOverride[dropped=" + Arrays.toString(dropped) + ", redirect=" + Arrays.toString(redirect) + "]";
    }
}
