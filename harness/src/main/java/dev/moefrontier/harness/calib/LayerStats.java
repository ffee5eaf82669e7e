package dev.moefrontier.harness.calib;

/**
 * Calibration sums of one MoE layer, accumulated in double precision. Arrays that a run did not collect are null.
 * Expert-indexed 2-D data is row-major: {@code wandaIn[e * H + j]}.
 */
public final class LayerStats {
    /** Exponents 0, 1, 2 of the gate weight (α) and of the output norm (β). */
    public static final int POWERS = 3;

    final int layer;
    final int experts;
    final int hidden;
    final int intermediate;
    final int sharedIntermediate;
    long tokens;
    final long[] counts;
    final double[] moments; // [(α * 3 + β) * E + e] = Σ_{x in X_e} g^α ||f_e(x)||^β
    double[] wandaIn; // [E * H]: Σ x_j² over routed tokens (input of gate and up)
    double[] wandaMid; // [E * I]: Σ a_j² over routed tokens (input of down), a = silu(gate x) * up x
    double[] sharedIn; // [H]
    double[] sharedMid; // [SI]
    double[] gram; // [E * E]: Σ z_i z_j over all tokens
    double[] outSum; // [E * H]: Σ f_e(x) over all tokens

    LayerStats(int layer, int experts, int hidden, int intermediate, int sharedIntermediate) {
        this.layer = layer;
        this.experts = experts;
        this.hidden = hidden;
        this.intermediate = intermediate;
        this.sharedIntermediate = sharedIntermediate;
        this.counts = new long[experts];
        this.moments = new double[POWERS * POWERS * experts];
    }

    /** Refuses a statistic holding NaN/Inf, naming the layer and the statistic (a NaN weight or activation upstream). */
    void checkFinite() {
        String at = "calibration statistics, MoE layer " + layer + ", ";
        dev.moefrontier.harness.util.NonFiniteException.check(moments, at + "routed moments [(alpha*3+beta)*E+e]");
        dev.moefrontier.harness.util.NonFiniteException.check(wandaIn, at + "wanda input norms [e*H+j]");
        dev.moefrontier.harness.util.NonFiniteException.check(wandaMid, at + "wanda intermediate norms [e*I+j]");
        dev.moefrontier.harness.util.NonFiniteException.check(sharedIn, at + "shared-expert input norms");
        dev.moefrontier.harness.util.NonFiniteException.check(sharedMid, at + "shared-expert intermediate norms");
        dev.moefrontier.harness.util.NonFiniteException.check(gram, at + "router gram [i*E+j]");
        dev.moefrontier.harness.util.NonFiniteException.check(outSum, at + "expert output sums [e*H+j]");
    }

    public int layer() {
        return layer;
    }

    public int experts() {
        return experts;
    }

    public int hidden() {
        return hidden;
    }

    public int intermediate() {
        return intermediate;
    }

    public int sharedIntermediate() {
        return sharedIntermediate;
    }

    /** Tokens seen by the layer (all calibration positions). */
    public long tokens() {
        return tokens;
    }

    /** |X_e|: calibration tokens routed to expert e. */
    public long count(int e) {
        return counts[e];
    }

    /** Σ_{x in X_e} g_e(x)^α ||f_e(x)||^β for α, β in {0, 1, 2}. */
    public double moment(int alpha, int beta, int e) {
        if (alpha < 0 || alpha >= POWERS || beta < 0 || beta >= POWERS) {
            throw new IllegalArgumentException("moments exist for exponents 0, 1, 2 (got α=" + alpha + ", β=" + beta + ")");
        }
        return moments[(alpha * POWERS + beta) * experts + e];
    }

    /** Σ x_j² over X_e for the gate/up input (j < H); null unless WANDA_INPUTS was collected. */
    public double[] wandaInput(int e) {
        return wandaIn == null ? null : java.util.Arrays.copyOfRange(wandaIn, e * hidden, (e + 1) * hidden);
    }

    /** Σ a_j² over X_e for the down input (j < I). */
    public double[] wandaIntermediate(int e) {
        return wandaMid == null ? null : java.util.Arrays.copyOfRange(wandaMid, e * intermediate, (e + 1) * intermediate);
    }

    /** Σ x_j² over all tokens (shared expert's gate/up input), or null. */
    public double[] sharedInput() {
        return sharedIn;
    }

    /** Σ a_j² over all tokens (shared expert's down input), or null. */
    public double[] sharedIntermediateInput() {
        return sharedMid;
    }

    /** Σ z_i z_j of router logits over all tokens, or null. */
    public double gram(int i, int j) {
        return gram[i * experts + j];
    }

    public boolean hasGram() {
        return gram != null;
    }

    /** Mean output of expert e over all tokens [H], or null. */
    public double[] meanOutput(int e) {
        if (outSum == null) {
            return null;
        }
        double[] m = new double[hidden];
        for (int j = 0; j < hidden; j++) {
            m[j] = outSum[e * hidden + j] / Math.max(1, tokens);
        }
        return m;
    }
}
