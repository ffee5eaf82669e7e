/**
 * The built-in compressors (methods.md §3-5): score-based pruning (frequency family, REAP, EAN, MAN/MSAN, AIMER,
 * random), Wanda and the X+Wanda hybrids, and merging baselines (M-SMoE, HC-SMoE). Each is a {@link
 * dev.moefrontier.harness.spi.Compressor} registered through {@code META-INF/services}; none is named by the
 * harness.
 */
package dev.moefrontier.compressors;
