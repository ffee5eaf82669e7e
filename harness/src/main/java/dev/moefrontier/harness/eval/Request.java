package dev.moefrontier.harness.eval;

/**
 * One loglikelihood request as lm-evaluation-harness builds it: the log-probability of {@code continuation} given
 * {@code context}.
 *
 * @param doc document index
 * @param choice choice (or, for multiple-input tasks such as winogrande, context) index
 * @param context conditioning text
 * @param continuation scored text (with its leading space)
 */
public record Request(int doc, int choice, String context, String continuation) {}
