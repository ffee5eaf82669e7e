package dev.moefrontier.harness.model;

import ai.djl.ndarray.NDArray;

/**
 * What a sparse MoE block saw and did for one micro-batch. Row r of every [N, ...] array is real token r of the
 * {@link #batch()} (see {@link TokenBatch#sequenceOfRow}). Arrays are valid only during
 * {@link ForwardObserver#onMoe}.
 */
public interface MoeLayerEvent {
    /** Decoder layer index. */
    int layer();

    TokenBatch batch();

    /** The normalized hidden state entering the block (output of post_attention_layernorm): [N, H]. */
    NDArray input();

    /** Raw router output before softmax: [N, E]. */
    NDArray routerLogits();

    /** Selected experts as used, largest routing weight first: [N, k] int64. */
    NDArray topkIndices();

    /** Weights used to mix the selected experts (renormalized when the family does): [N, k]. */
    NDArray topkWeights();

    /** {@link #topkIndices()} copied to Java, row-major [N * k]. */
    long[] topkIndexArray();

    /** {@link #topkWeights()} copied to Java, row-major [N * k]. */
    float[] topkWeightArray();

    /** Rows routed to {@code expert}, one entry per assignment, ascending. */
    int[] routedRows(int expert);

    /** The top-k slot (column) of each entry of {@link #routedRows}. */
    int[] routedSlots(int expert);

    /** {@code f_e(x)} (before gate weighting) for the rows of {@link #routedRows}: [n_e, H]; empty when n_e = 0. */
    NDArray routedOutputs(int expert);

    /** {@code f_e(x)} on every row, computed on demand: [N, H]. */
    NDArray expertOutput(int expert);

    /** The weights of the layer (compute layout), for observers that need intermediates. */
    LayerWeights.Moe weights();

    /** Number of routed experts. */
    int numExperts();

    /** Experts per token. */
    int topK();
}
