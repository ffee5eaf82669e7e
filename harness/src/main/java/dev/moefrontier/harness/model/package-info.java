/**
 * The MoE transformer runtime on DJL's PyTorch engine: config parsing with family adapters, weights (resident or
 * streamed per layer), attention variants, the sparse MoE block and the observer events compressors calibrate from.
 *
 * <p>Entry types: {@link dev.moefrontier.harness.model.MoeTransformer} (built with {@code setPath} and {@code opt*}),
 * {@link dev.moefrontier.harness.model.ModelConfig}, {@link dev.moefrontier.harness.model.Family} (one row per
 * supported {@code model_type}), {@link dev.moefrontier.harness.model.ForwardObserver} and {@link
 * dev.moefrontier.harness.model.ModelPatch} (how plans change a forward without copying weights).
 */
package dev.moefrontier.harness.model;
