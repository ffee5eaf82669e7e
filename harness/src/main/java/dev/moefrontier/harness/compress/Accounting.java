package dev.moefrontier.harness.compress;

/**
 * How much a plan removes (methods.md §1 and §4.11). MoE-block parameters are routed plus shared experts, routers
 * excluded.
 *
 * @param expertRatio achieved fraction of routed experts removed (over all MoE layers)
 * @param weightSparsity achieved fraction of the surviving MoE-block weights zeroed by masks
 * @param moeParams routed + shared expert parameters of the dense model (P_r + P_s)
 * @param removedMoeParams MoE-block parameters removed by pruning, merging and masks
 * @param compression removedMoeParams / moeParams: the frontier x-axis
 * @param totalParams every parameter of the dense model
 * @param removedTotalFraction removedMoeParams / totalParams
 */
public record Accounting(double expertRatio, double weightSparsity, long moeParams, long removedMoeParams,
        double compression, long totalParams, double removedTotalFraction) {}
