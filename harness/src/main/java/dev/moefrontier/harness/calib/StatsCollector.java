package dev.moefrontier.harness.calib;

import dev.moefrontier.harness.spi.CalibrationStatistic;
import dev.moefrontier.harness.model.ForwardObserver;
import dev.moefrontier.harness.model.ModelConfig;
import dev.moefrontier.harness.model.MoeLayerEvent;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Observes MoE events for a set of {@link CalibrationStatistic.Streamed} statistics: one accumulator per statistic and MoE
 * layer, fed every micro-batch in calibration order. Used by the {@link Calibrator}'s pass and by compressors that run
 * passes of their own (e.g. sequential Wanda peeks at one layer).
 */
public final class StatsCollector implements ForwardObserver {
    private final ModelConfig cfg;
    private final List<CalibrationStatistic.Streamed> statistics;
    private final Map<String, Map<Integer, CalibrationStatistic.Accumulator>> accumulators = new TreeMap<>();

    public StatsCollector(ModelConfig cfg, List<? extends CalibrationStatistic.Streamed> statistics) {
        this.cfg = cfg;
        this.statistics = List.copyOf(statistics);
    }

    @Override
    public boolean observesMoe(int layer) {
        return !statistics.isEmpty();
    }

    @Override
    public void onMoe(MoeLayerEvent event) {
        for (CalibrationStatistic.Streamed st : statistics) {
            accumulators.computeIfAbsent(st.id(), n -> new TreeMap<>()).computeIfAbsent(event.layer(), l -> st.start(cfg, l))
                    .observe(event);
        }
    }

    /** The values of one statistic so far: MoE layer → named arrays (copies of the map, live arrays). */
    public Map<Integer, Map<String, double[]>> values(CalibrationStatistic statistic) {
        Map<Integer, Map<String, double[]>> out = new TreeMap<>();
        accumulators.getOrDefault(statistic.id(), Map.of()).forEach((l, a) -> out.put(l, Map.copyOf(a.values())));
        return out;
    }

    /** Everything collected, with provenance {@code meta}; each statistic checked for NaN/Inf. */
    public CalibrationStats result(Map<String, String> meta) {
        Map<String, Map<Integer, Map<String, double[]>>> all = new LinkedHashMap<>();
        List<CalibrationStatistic> kinds = new ArrayList<>();
        for (CalibrationStatistic.Streamed st : statistics) {
            Map<Integer, Map<String, double[]>> v = values(st);
            CalibrationStats.checkFinite(st, v);
            all.put(st.id(), v);
            kinds.add(st);
        }
        return new CalibrationStats(all, meta);
    }
}
