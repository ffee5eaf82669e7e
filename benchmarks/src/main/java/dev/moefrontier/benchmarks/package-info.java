/**
 * JMH microbenchmarks of the kernels the end-to-end figures rest on: AIMER scoring, HodgeCover's per-layer
 * selection, the MoE block's two dispatch strategies, loglikelihood batching and safetensors widening. Run them with
 * {@code scripts/jmh} (arguments go to JMH, e.g. {@code scripts/jmh Hodge -f 1}); {@code frontier bench} keeps the
 * end-to-end figures (tokens/s, peak RSS, roofline fraction).
 */
package dev.moefrontier.benchmarks;
