/**
 * Evaluation: the task plug-in interface and the loglikelihood engine every task scores with.
 *
 * <p>Entry types: {@link dev.moefrontier.harness.spi.Evaluator} (a plug-in task, registered in {@link
 * dev.moefrontier.harness.eval.Suite}), {@link dev.moefrontier.harness.eval.EvalContext} (a model, optionally patched by
 * a plan, with its response cache), {@link dev.moefrontier.harness.eval.Evaluation} (an immutable result with
 * provenance) and {@link dev.moefrontier.harness.eval.LmEvalResults} (rendering in lm-evaluation-harness's layout).
 * Metrics follow methods.md §6.
 */
package dev.moefrontier.harness.eval;
