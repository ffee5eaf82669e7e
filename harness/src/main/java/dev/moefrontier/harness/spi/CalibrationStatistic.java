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

    /**
     * Floating-point operations this statistic adds for one MoE layer beyond the shared calibration forward, for {@code
     * frontier plan --estimate}; 0 (the default) for statistics that only sum what the forward already computed.
     *
     * @param config the model
     * @param layer the MoE layer
     * @param tokens calibration tokens
     * @param windowLength tokens per calibration window
     */
    default double estimatedFlops(ModelConfig config, int layer, long tokens, int windowLength) {
        return 0;
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
        /** Named arrays per MoE layer: every layer of {@link Inputs#layers()}. */
        Map<Integer, Map<String, double[]>> compute(Inputs inputs);

        /**
         * Whether each MoE layer's values depend only on that layer (and on what the statistic requires), never on which
         * other layers are computed with it: then {@link #compute} may be asked for any subset of layers and get the same
         * values, the calibrator keeps a file per layer, and {@code frontier plan} splits the statistic into per-layer
         * scheduler tasks (e.g. merge barriers). False by default.
         */
        default boolean perLayer() {
            return false;
        }
    }

    /**
     * What a {@link Computed} statistic may read.
     *
     * @param model the dense model
     * @param data the calibration windows
     * @param stats the statistics it requires (and the routing statistic)
     * @param log human-readable notes
     * @param layers the MoE layers to compute, ascending: every MoE layer unless the statistic is {@link
     *     Computed#perLayer()}, for which the calibrator may ask for a subset
     */
    record Inputs(MoeTransformer model, CalibrationData data, CalibrationStats stats, Consumer<String> log, List<Integer> layers) {
        public Inputs {
            layers = List.copyOf(layers);
        }

        /** Every MoE layer of the model. */
        public Inputs(MoeTransformer model, CalibrationData data, CalibrationStats stats, Consumer<String> log) {
            this(model, data, stats, log, model.config().moeLayers());
        }
    }

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
