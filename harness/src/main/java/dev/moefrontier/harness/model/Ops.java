package dev.moefrontier.harness.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Activation;

/**
 * Small tensor functions shared by the blocks. Activations come first so results stay on their manager. No op here
 * modifies a tensor in place that autograd may have saved, so the same code serves training.
 */
public final class Ops {
    private static final int[] LAST = {-1};

    private Ops() {}

    /** {@code x @ wT (+ b)}; wT is [in, out]. */
    public static NDArray linear(NDArray x, NDArray wT, NDArray bias) {
        NDArray y = x.matMul(wT);
        return bias == null ? y : y.add(bias);
    }

    /** {@code w * x / sqrt(mean(x^2) + eps)} over the last axis (w already in the family's convention). */
    public static NDArray rmsNorm(NDArray x, NDArray w, float eps) {
        NDArray rms = x.square().mean(LAST, true).addi(eps).sqrt();
        return x.div(rms).mul(w);
    }

    /** {@code x * sigmoid(x)}. */
    public static NDArray silu(NDArray x) {
        return x.mul(Activation.sigmoid(x));
    }

    /** {@code down(silu(gate x) * up x)} with gate and up fused as [H, 2I] (gate columns first), down as [I, H]. */
    public static NDArray swiglu(NDArray x, NDArray gateUpT, NDArray downT) {
        NDArray h = x.matMul(gateUpT); // [n, 2I]
        long inter = h.getShape().getLastDimension() / 2;
        NDArray gate = h.get(new NDIndex("..., :{}", inter));
        NDArray up = h.get(new NDIndex("..., {}:", inter));
        return silu(gate).mul(up).matMul(downT); // [n, H]
    }
}
