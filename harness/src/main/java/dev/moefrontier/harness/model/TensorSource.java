package dev.moefrontier.harness.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * Where {@link ModelWeights} gets checkpoint-named tensors: a checkpoint on disk ({@link TensorLoader}) or, when
 * training, live parameters whose every use is recorded for autograd. Callers may close what they receive.
 */
@FunctionalInterface
public interface TensorSource {
    /** The whole tensor as float32 on {@code manager}'s device. */
    NDArray load(String name, NDManager manager);
}
