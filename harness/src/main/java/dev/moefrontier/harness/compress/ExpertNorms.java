package dev.moefrontier.harness.compress;

/**
 * Wanda's input statistics of one expert (methods.md §5): Σ x_j² of the gate/up input and Σ a_j² of the down input over
 * the tokens that reached it. Masks are a deterministic function of these and the weights, so plans keep these
 * instead of the masks.
 *
 * @param input [H]
 * @param intermediate [I]
 * @param tokens tokens that reached the expert (0: no calibration data)
 */
public record ExpertNorms(double[] input, double[] intermediate, long tokens) {}
