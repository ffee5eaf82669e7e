package dev.moefrontier.compressors;

import dev.moefrontier.harness.compress.OptionSpec;
import dev.moefrontier.harness.compress.Options;
import java.util.List;

/**
 * REAP: the mean over routed tokens of gate weight × output norm, S(1, 1, 1) (methods.md §3). Its exponents are options,
 * so the whole S(b, α, β) family can be run under this name (b ∈ {0, 1}, α, β ∈ {0, 1, 2}).
 */
public final class ReapCompressor extends UnifiedScoreCompressor {
    @Override
    public String name() {
        return "reap";
    }

    @Override
    public String description() {
        return "Mean of gate weight x output norm over routed tokens (S(1,1,1)); b, alpha, beta select any S(b,a,b)";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(
                OptionSpec.integer("b", 1, 0, 1, "exponent of |X_e|^-b (1 = mean over routed tokens)"),
                OptionSpec.integer("alpha", 1, 0, 2, "exponent of the gate weight"),
                OptionSpec.integer("beta", 1, 0, 2, "exponent of the expert output norm"));
    }

    @Override
    protected int[] exponents(Options options) {
        return new int[] {options.getInt("b"), options.getInt("alpha"), options.getInt("beta")};
    }
}
