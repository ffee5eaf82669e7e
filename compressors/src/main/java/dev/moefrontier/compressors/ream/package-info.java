/**
 * REAM (methods.md §7): its calibration statistics ({@link dev.moefrontier.compressors.ream.ReamSignals}, weights-only
 * {@link dev.moefrontier.compressors.ream.WeightFeatures}), the distance and centroid grouping, the exact
 * linear-assignment solver that aligns neurons, and the compressor.
 */
package dev.moefrontier.compressors.ream;
