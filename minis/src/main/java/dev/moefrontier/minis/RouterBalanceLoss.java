package dev.moefrontier.minis;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.moefrontier.harness.model.ForwardObserver;
import dev.moefrontier.harness.model.MoeLayerEvent;

/**
 * The router load-balancing loss of Hugging Face's MoE families ({@code load_balancing_loss_func}): over every MoE
 * layer's routed tokens taken together, E · Σ_e f_e · P_e, where f_e is the share of (token, slot) assignments that go
 * to expert e per token and P_e the mean router probability of e. It is k for perfectly balanced routing. Collected as
 * an observer of the forward pass, so gradients reach every router through the recorded probabilities.
 */
final class RouterBalanceLoss implements ForwardObserver {
    private final NDManager manager;
    private final int experts;
    private final long[] counts;
    private NDArray probSum; // [E], graph-connected
    private long rows;

    RouterBalanceLoss(NDManager manager, int experts) {
        this.manager = manager;
        this.experts = experts;
        this.counts = new long[experts];
    }

    @Override
    public boolean observesMoe(int layer) {
        return true;
    }

    @Override
    public void onMoe(MoeLayerEvent e) {
        NDArray p = e.routerLogits().softmax(-1).sum(new int[] {0}); // [E]
        p.attach(manager);
        probSum = probSum == null ? p : probSum.add(p);
        for (long i : e.topkIndexArray()) {
            counts[(int) i]++;
        }
        rows += e.routerLogits().getShape().get(0);
    }

    /** The loss (a scalar on the manager); call after the forward pass. */
    NDArray loss() {
        float[] f = new float[experts];
        for (int i = 0; i < experts; i++) {
            f[i] = (float) ((double) counts[i] / rows);
        }
        return probSum.div(rows).mul(manager.create(f)).sum().mul(experts);
    }

    /** Per-expert share of assignments (for reports). */
    long[] counts() {
        return counts.clone();
    }
}
