package dev.moefrontier.harness.spi;

import dev.moefrontier.harness.calib.CalibrationData;
import dev.moefrontier.harness.calib.CalibrationStats;
import dev.moefrontier.harness.model.ModelConfig;
import dev.moefrontier.harness.model.MoeLayerEvent;
import dev.moefrontier.harness.model.MoeTransformer;
import dev.moefrontier.harness.spi.Named;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A calibration statistic: what it observes, how its state accumulates, and how it is stored. Every statistic, built-in
 * ({@link RoutingStatistics}) or contributed by a plug-in (a compressor module or a third-party jar), is one of two kinds:
 * {@link Streamed} (observes the MoE events of the one streamed calibration pass) or {@link Computed} (runs passes of its
 * own, e.g. HodgeCover's merge barriers, possibly reading other statistics). The {@link Calibrator} caches each in a file
 * of its own, keyed by the checkpoint, the calibration data, the numerics, its {@link #name()}, {@link #version()} and
 * {@link #parameters()}. State is named arrays of doubles per MoE layer; that is also the cached layout.
 *
 * <p>A compressor declares the statistics it reads by returning them from {@link
 * dev.moefrontier.harness.spi.Compressor#statistics} (no registration needed) and reads them with {@link
 * CalibrationStats#values(CalibrationStatistic, int)} or a typed view the statistic's module provides.
 */
public interface CalibrationStatistic extends Named {
    /** The version of the statistic's meaning and layout; bump it and cached values are recomputed. */
    int version();

    /** Settings that change the values (part of the cache key and of {@link #id()}); empty when there are none. */
    default String parameters() {
        return "";
    }

    /** Statistics this one reads while it is computed (collected first; {@link Computed} statistics only). */
    default List<CalibrationStatistic> requires() {
        return List.of();
    }

    /** The identity within one pass: the name, plus the parameters when there are any. */
    default String id() {
        return parameters().isEmpty() ? name() : name() + "[" + parameters() + "]";
    }

    /** A statistic accumulated from the MoE events of the one streamed calibration pass. */
    interface Streamed extends CalibrationStatistic {
        /** A fresh accumulator for MoE layer {@code layer} of a model with this config. */
        Accumulator start(ModelConfig config, int layer);
    }

    /**
     * A statistic that runs passes of its own over the calibration windows (e.g. forward passes with experts merged). It
     * is computed after every statistic it {@link #requires()} and cached like the others.
     */
    interface Computed extends CalibrationStatistic {
        /** Named arrays per MoE layer. */
        Map<Integer, Map<String, double[]>> compute(Inputs inputs);
    }

    /**
     * What a {@link Computed} statistic may read.
     *
     * @param model the dense model
     * @param data the calibration windows
     * @param stats the statistics it requires (and the routing statistic)
     * @param log human-readable notes
     */
    record Inputs(MoeTransformer model, CalibrationData data, CalibrationStats stats, Consumer<String> log) {}

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
