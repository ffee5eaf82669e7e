/**
 * The built-in tasks: perplexity (WikiText, C4, the minis' split) and lm-evaluation-harness-compatible multiple
 * choice (ARC, BoolQ, HellaSwag, MMLU, OpenBookQA, PIQA, RTE, WinoGrande, the minis' task), each an {@link
 * dev.moefrontier.harness.spi.Evaluator} with lm-eval's prompts and metrics (methods.md §6).
 */
package dev.moefrontier.tasks;
