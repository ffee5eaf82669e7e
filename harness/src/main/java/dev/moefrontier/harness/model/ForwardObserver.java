package dev.moefrontier.harness.model;

import ai.djl.ndarray.NDArray;

/**
 * Watches a forward pass. Arrays handed to an observer are valid only during the call (they belong to the layer's
 * scope): copy what you keep, or reduce it on the device first (norms, sums) and copy the result.
 */
public interface ForwardObserver {
    /** Observes nothing. */
    ForwardObserver NONE = new ForwardObserver() {};

    /** Whether {@link #onMoe} should be called for this MoE layer. */
    default boolean observesMoe(int layer) {
        return true;
    }

    /** Called once per micro-batch and MoE layer, after the block has run. */
    default void onMoe(MoeLayerEvent event) {}

    /** Whether {@link #onLayerOutput} should be called for this layer. */
    default boolean observesLayerOutput(int layer) {
        return false;
    }

    /** The hidden state leaving decoder layer {@code layer}: [B, T, H] (padded positions included). */
    default void onLayerOutput(int layer, TokenBatch batch, NDArray hidden) {}

    /** Combines observers; each sees every event. */
    static ForwardObserver all(ForwardObserver... observers) {
        return new ForwardObserver() {
            @Override
            public boolean observesMoe(int layer) {
                for (ForwardObserver o : observers) {
                    if (o.observesMoe(layer)) {
                        return true;
                    }
                }
                return false;
            }

            @Override
            public void onMoe(MoeLayerEvent event) {
                for (ForwardObserver o : observers) {
                    if (o.observesMoe(event.layer())) {
                        o.onMoe(event);
                    }
                }
            }

            @Override
            public boolean observesLayerOutput(int layer) {
                for (ForwardObserver o : observers) {
                    if (o.observesLayerOutput(layer)) {
                        return true;
                    }
                }
                return false;
            }

            @Override
            public void onLayerOutput(int layer, TokenBatch batch, NDArray hidden) {
                for (ForwardObserver o : observers) {
                    if (o.observesLayerOutput(layer)) {
                        o.onLayerOutput(layer, batch, hidden);
                    }
                }
            }
        };
    }
}
