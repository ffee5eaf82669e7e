/**
 * Checkpoint files: safetensors read through short-lived memory maps and widened to float32 in Java (DJL aborts on
 * BF16), sharded checkpoints, writers, and the content digest every cache key rests on.
 *
 * <p>Entry types: {@link dev.moefrontier.harness.io.Checkpoint} (a validated checkpoint directory, its content
 * {@link dev.moefrontier.harness.io.Checkpoint#fingerprint() fingerprint} and NaN/Inf scan), {@link
 * dev.moefrontier.harness.io.SafetensorsFile}, {@link dev.moefrontier.harness.io.SafetensorsWriter} and {@link
 * dev.moefrontier.harness.io.ContentDigest}. Sizes are {@code long} throughout: single tensors pass 2 GB.
 */
package dev.moefrontier.harness.io;
