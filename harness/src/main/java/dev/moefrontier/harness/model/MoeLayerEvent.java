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

    /** Selected experts as used (after drop / redirect), largest routing weight first: [N, k] int64. */
    NDArray topkIndices();

    /**
     * Weights used to mix the selected experts (renormalized when the family does; after a redirect, a slot that
     * repeats an earlier slot's expert has weight 0 and that earlier slot carries the sum): [N, k].
     */
    NDArray topkWeights();

    /** {@link #topkIndices()} copied to Java, row-major [N * k]. */
    long[] topkIndexArray();

    /** {@link #topkWeights()} copied to Java, row-major [N * k]. */
    float[] topkWeightArray();

    /**
     * Every (row, expert) assignment that ran an expert, grouped by expert: entries {@code offsets[e]} to
     * {@code offsets[e + 1] - 1} belong to expert e, rows ascending; {@code flat[i] = row * k + slot}.
     *
     * @param offsets [E + 1]
     * @param flat one entry per assignment
     * @param topK k
     */
    record Assignments(int[] offsets, int[] flat, int topK) {
        /** Token row of entry i. */
        public int row(int i) {
            return flat[i] / topK;
        }

        /** Top-k slot of entry i. */
        public int slot(int i) {
            return flat[i] % topK;
        }

        /** Assignments of expert e. */
        public int count(int e) {
            return offsets[e + 1] - offsets[e];
        }

        /** Number of assignments. */
        public int size() {
            return flat.length;
        }
    }

    /** All assignments grouped by expert (see {@link Assignments}). */
    Assignments assignments();

    /** {@code ||f_e(x)||_2} for every entry of {@link #assignments()}, computed in one pass. */
    float[] routedOutputNorms();

    /** Rows routed to {@code expert}, one entry per (row, expert) pair, ascending. */
    int[] routedRows(int expert);

    /** The top-k slot (column) of each entry of {@link #routedRows}. */
    int[] routedSlots(int expert);

    /** {@code f_e(x)} (before gate weighting) for the rows of {@link #routedRows}: [n_e, H]; empty when n_e = 0. */
    NDArray routedOutputs(int expert);

    /** {@code f_e(x)} on every row, computed on demand: [N, H]. */
    NDArray expertOutput(int expert);

    /** The loaded weights of the layer (compute layout), before any override. */
    LayerWeights.Moe weights();

    /** The gate/up weights [H, 2I] expert {@code expert} runs with (after any override). */
    NDArray gateUpT(int expert);

    /** The down weights [I, H] expert {@code expert} runs with (after any override). */
    NDArray downT(int expert);

    /** All experts' gate/up weights as run, stacked [E, H, 2I], when available without copying (else null). */
    default NDArray gateUpStack() {
        return null;
    }

    /** Number of routed experts. */
    int numExperts();

    /** Experts per token. */
    int topK();
}
