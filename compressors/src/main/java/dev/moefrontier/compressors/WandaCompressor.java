package dev.moefrontier.compressors;

import dev.moefrontier.harness.spi.CalibrationStatistic;
import dev.moefrontier.harness.compress.CompressionContext;
import dev.moefrontier.harness.spi.Compressor;
import dev.moefrontier.harness.compress.MaskSpec;
import dev.moefrontier.harness.compress.OptionSpec;
import dev.moefrontier.harness.compress.Options;
import dev.moefrontier.harness.compress.PlanFigures;
import dev.moefrontier.harness.compress.PruningPlan;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Wanda (arXiv 2306.11695, methods.md §5) on every routed and shared expert of the MoE blocks, at sparsity = ratio.
 * Experts that receive no calibration tokens are pruned by weight magnitude by default ({@code wanda.empty}).
 */
public final class WandaCompressor implements Compressor {
    /** Options shared with the X+wanda hybrids. */
    static List<OptionSpec> wandaOptions() {
        return List.of(
                OptionSpec.text("wanda.pattern", "unstructured", "unstructured, or N:M (e.g. 2:4: the N lowest of every M inputs)"),
                OptionSpec.bool("wanda.sequential", true, "recompute calibration inputs after each layer is pruned"),
                OptionSpec.choice("wanda.empty", "magnitude", List.of("magnitude", "skip"),
                        "experts without calibration tokens: prune by |W| or leave dense"));
    }

    static MaskSpec spec(Options o, double sparsity) {
        return MaskSpec.of("wanda", o.getString("wanda.pattern"), sparsity, o.getBool("wanda.sequential"), o.getString("wanda.empty"));
    }

    @Override
    public Level level() {
        return Level.WEIGHT;
    }

    @Override
    public String name() {
        return "wanda";
    }

    @Override
    public String description() {
        return "Wanda weight sparsity (|W| x input norm, per output row) on routed and shared experts; ratio = sparsity";
    }

    @Override
    public List<OptionSpec> options() {
        return wandaOptions();
    }

    @Override
    public Set<CalibrationStatistic> statistics(Options options) {
        // sequential: the norms come from its own layer-by-layer passes
        return options.getBool("wanda.sequential") ? Set.of() : Set.of(WandaInputs.STATISTIC);
    }

    /** Sequential: one forward of the calibration windows, layer by layer (the masks' inputs are recomputed). */
    @Override
    public double estimatedPlanFlops(dev.moefrontier.harness.model.ModelConfig config, double ratio, Options options, long calibrationTokens,
            int windowLength) {
        return options.getBool("wanda.sequential") ? calibrationTokens * dev.moefrontier.harness.model.Flops.forwardPerToken(config, windowLength) : 0;
    }

    @Override
    public boolean needsCalibrationData(Options options) {
        return true;
    }

    @Override
    public void check(dev.moefrontier.harness.model.ModelConfig cfg, double ratio, Options options) {
        dev.moefrontier.harness.compress.Budget.checkRatio(ratio);
        MaskSpec spec = spec(options, ratio);
        if (spec.m() != 0 && Math.abs(spec.sparsity() - ratio) > 1e-9) {
            throw new IllegalArgumentException("wanda pattern " + spec.pattern() + " has sparsity " + spec.sparsity()
                    + "; ratio " + ratio + " does not match");
        }
    }

    @Override
    public PruningPlan plan(CompressionContext ctx, double ratio, Options options) {
        check(ctx.config(), ratio, options);
        MaskSpec spec = spec(options, ratio);
        PruningPlan dense = new PruningPlan(name(), options.asMap(), ratio, PruningPlan.Mode.DROP, List.of(), null, Map.of());
        return WandaStage.apply(ctx, dense, spec, name(), options.asMap(), ratio, Map.of())
                .withFigures(PlanFigures.builder().number("sparsity", spec.sparsity()).build());
    }
}
