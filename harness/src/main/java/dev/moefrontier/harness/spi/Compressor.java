package dev.moefrontier.harness.spi;

import dev.moefrontier.harness.compress.Budget;
import dev.moefrontier.harness.compress.CompressionContext;
import dev.moefrontier.harness.compress.OptionSpec;
import dev.moefrontier.harness.compress.Options;
import dev.moefrontier.harness.compress.PruningPlan;
import dev.moefrontier.harness.spi.CalibrationStatistic;
import dev.moefrontier.harness.model.ModelConfig;
import dev.moefrontier.harness.spi.Named;
import java.util.List;
import java.util.Set;

/**
 * A learning-free MoE compressor: turns a model, its calibration statistics, a target ratio and options into a
 * {@link PruningPlan}. Implementations are stateless; register them in
 * {@code META-INF/services/dev.moefrontier.harness.spi.Compressor}.
 */
public interface Compressor extends Named {

    /**
     * The version of this compressor's semantics: bump it when the same options, ratio and statistics would give a
     * different plan, so that resumed sweeps rerun its cells instead of keeping results of the old code.
     */
    default String version() {
        return "1";
    }

    /** The options this compressor accepts, with defaults. */
    default List<OptionSpec> options() {
        return List.of();
    }

    /** What a compressor removes (methods.md §1, §4.11): whole experts, single weights, or experts then weights. */
    enum Level {
        EXPERT, WEIGHT, HYBRID
    }

    /** The compressor's level; plots and sweeps put weight-level and hybrid compressors on their own axis. */
    default Level level() {
        return Level.EXPERT;
    }

    /** A hybrid's expert-level first stage (its name, e.g. {@code reap} for {@code reap+wanda}); null otherwise. */
    default String expertStage() {
        return null;
    }

    /**
     * The calibration statistics this compressor reads ({@link CalibrationStatistic}: the built-in {@link
     * dev.moefrontier.harness.calib.RoutingStatistics} or any plug-in's), collected in one pass before planning and
     * cached each under its own name, version and parameters; an empty set means calibration-free (no pass at all).
     * Read them with {@code ctx.stats().layer(l)} (routing) or {@code ctx.stats().values(statistic, layer)}.
     */
    Set<CalibrationStatistic> statistics(Options options);

    /** Whether the compressor runs forward passes of its own over the calibration windows (e.g. sequential Wanda). */
    default boolean needsCalibrationData(Options options) {
        return !statistics(options).isEmpty();
    }

    /**
     * Floating-point operations of planning one cell beyond its cached statistics (e.g. the layer-by-layer forwards of a
     * sequential compressor), for {@code frontier plan --estimate}; 0 by default (planning from cached statistics costs
     * next to nothing).
     *
     * @param config the model
     * @param ratio the target ratio
     * @param options the cell's options
     * @param calibrationTokens calibration tokens
     * @param windowLength tokens per calibration window
     */
    default double estimatedPlanFlops(ModelConfig config, double ratio, Options options, long calibrationTokens, int windowLength) {
        return 0;
    }

    /**
     * Rejects a ratio / options combination that cannot work for this model before any work starts (by default: the
     * expert budget of methods.md §1 must keep at least top_k experts).
     */
    default void check(ModelConfig cfg, double ratio, Options options) {
        Budget.pruneCount(ratio, cfg.moe().numExperts(), cfg.moe().topK());
    }

    /**
     * The plan at target ratio {@code ratio} in (0, 1): for expert compressors the reduction ratio of methods.md §1,
     * for weight-sparsity compressors the sparsity, for hybrids the removed fraction of MoE-block parameters (§4.11).
     */
    PruningPlan plan(CompressionContext ctx, double ratio, Options options);
}
