package dev.moefrontier.harness.calib;

import dev.moefrontier.harness.model.ModelConfig;
import dev.moefrontier.harness.model.MoeLayerEvent;
import dev.moefrontier.harness.registry.Named;
import java.util.Map;

/**
 * A calibration statistic contributed by a plug-in (a compressor module or a third-party jar): what it observes, how
 * its state accumulates, and how it is stored. The {@link Calibrator} collects every requested statistic in the one
 * streamed pass it makes for the built-in ones ({@link Statistic}) and caches each plug-in statistic in a file of its
 * own, keyed by the checkpoint, the calibration data, its {@link #name()} and its {@link #version()}.
 *
 * <p>A compressor declares the statistics it reads by returning them from {@link
 * dev.moefrontier.harness.compress.Compressor#statistics} (no registration needed; names must be valid and unique among
 * the statistics of one pass) and reads the result with {@link CalibrationStats#values(CalibrationStatistic, int)}.
 */
public interface CalibrationStatistic extends Named {
    /** The version of the statistic's meaning and layout; bump it and cached values are recomputed. */
    int version();

    /** A fresh accumulator for MoE layer {@code layer} of a model with this config. */
    Accumulator start(ModelConfig config, int layer);

    /**
     * The running state of one MoE layer. {@link #observe} is called once per micro-batch, in calibration order, with
     * the layer's event (its tensors are valid only during the call); state should be sums (or other associative
     * reductions) in double precision, so that batching does not change the result.
     */
    interface Accumulator {
        void observe(MoeLayerEvent event);

        /** The accumulated state as named arrays: what is cached and what {@link CalibrationStats#values} returns. */
        Map<String, double[]> values();
    }
}
