package dev.moefrontier.harness.calib;

import dev.moefrontier.harness.spi.CalibrationStatistic;
import dev.moefrontier.harness.io.SafetensorsFile;
import dev.moefrontier.harness.io.SafetensorsWriter;
import dev.moefrontier.harness.io.TensorInfo;
import dev.moefrontier.harness.util.NonFiniteException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The statistics of one calibration of a model: per {@link CalibrationStatistic} (by {@link CalibrationStatistic#id()}),
 * per MoE layer, named arrays of doubles; plus provenance. Immutable.
 */
public final class CalibrationStats {
    /** Bump when the cache layout of every statistic changes; old caches are then recomputed. */
    public static final int VERSION = 2; // 2: one file per statistic

    private static final String FORMAT = "moe-frontier/calibration-statistic";

    private final Map<String, Map<Integer, Map<String, double[]>>> values;
    private final Map<String, String> meta;

    CalibrationStats(Map<String, Map<Integer, Map<String, double[]>>> values, Map<String, String> meta) {
        this.values = Collections.unmodifiableMap(new TreeMap<>(values));
        this.meta = Collections.unmodifiableMap(new LinkedHashMap<>(meta));
    }

    /** These statistics plus {@code more} (id → layer → arrays). */
    CalibrationStats with(Map<String, Map<Integer, Map<String, double[]>>> more) {
        Map<String, Map<Integer, Map<String, double[]>>> all = new TreeMap<>(values);
        all.putAll(more);
        return new CalibrationStats(all, meta);
    }

    /** Whether the statistic (with these parameters) was collected. */
    public boolean has(CalibrationStatistic statistic) {
        return values.containsKey(statistic.id());
    }

    /** The ids of the statistics held. */
    public Set<String> present() {
        return values.keySet();
    }

    /** The arrays of a statistic for MoE layer {@code layer}, as its accumulator (or computation) returned them. */
    public Map<String, double[]> values(CalibrationStatistic statistic, int layer) {
        Map<Integer, Map<String, double[]>> s = values.get(statistic.id());
        if (s == null) {
            throw new IllegalArgumentException("calibration statistic '" + statistic.id() + "' was not collected (declare it"
                    + " in the compressor's statistics())");
        }
        Map<String, double[]> v = s.get(layer);
        if (v == null) {
            throw new IllegalArgumentException("calibration statistic '" + statistic.id() + "' has no values for MoE layer " + layer);
        }
        return v;
    }

    /** The routing statistics of MoE layer {@code layer} (and the output-norm moments when collected). */
    public LayerStats layer(int layer) {
        Map<Integer, Map<String, double[]>> routing = values.get(RoutingStatistics.ROUTING.id());
        if (routing == null || !routing.containsKey(layer)) {
            throw new IllegalArgumentException("no calibration statistics for layer " + layer);
        }
        Map<Integer, Map<String, double[]>> norms = values.get(RoutingStatistics.OUTPUT_NORMS.id());
        return new LayerStats(layer, routing.get(layer), norms == null ? null : norms.get(layer));
    }

    /** MoE layers with routing statistics, ascending. */
    public Set<Integer> layers() {
        Map<Integer, Map<String, double[]>> routing = values.get(RoutingStatistics.ROUTING.id());
        return routing == null ? Set.of() : Collections.unmodifiableSet(new TreeMap<>(routing).keySet());
    }

    /** Provenance: calibration spec, checkpoint fingerprint, tokens. */
    public Map<String, String> meta() {
        return meta;
    }

    /** Writes one statistic (every layer) as F64 tensors named {@code layer.L.NAME} (atomically). */
    static void save(Path file, CalibrationStatistic s, Map<Integer, Map<String, double[]>> values, Map<String, String> meta)
            throws IOException {
        SafetensorsWriter w = new SafetensorsWriter();
        Map<String, String> m = new LinkedHashMap<>(meta);
        m.put("format", FORMAT);
        m.put("format_version", Integer.toString(VERSION));
        m.put("statistic", s.name());
        m.put("statistic_version", Integer.toString(s.version()));
        m.put("statistic_parameters", s.parameters());
        w.metadata(m);
        values.forEach((layer, arrays) -> new TreeMap<>(arrays).forEach((name, v) ->
                w.addDoubles("layer." + layer + "." + name, new long[] {v.length}, v)));
        w.write(file);
    }

    /** Reads {@link #save}'s file; null when it is absent or of another statistic, version or parameters. */
    static Map<Integer, Map<String, double[]>> load(Path file, CalibrationStatistic s) {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            Map<String, String> meta = f.metadata();
            if (!FORMAT.equals(meta.get("format")) || !Integer.toString(VERSION).equals(meta.get("format_version"))
                    || !s.name().equals(meta.get("statistic"))
                    || !Integer.toString(s.version()).equals(meta.get("statistic_version"))
                    || !s.parameters().equals(meta.get("statistic_parameters"))) {
                return null;
            }
            Map<Integer, Map<String, double[]>> out = new TreeMap<>();
            for (TensorInfo t : f.tensors().values()) {
                String[] parts = t.name().split("\\.", 3);
                out.computeIfAbsent(Integer.parseInt(parts[1]), l -> new LinkedHashMap<>()).put(parts[2], f.readDoubles(t));
            }
            return out;
        }
    }

    /** Refuses NaN/Inf in a statistic, naming it, the layer and the array. */
    static void checkFinite(CalibrationStatistic s, Map<Integer, Map<String, double[]>> values) {
        values.forEach((layer, arrays) -> new TreeMap<>(arrays).forEach((name, v) -> NonFiniteException.check(v,
                "calibration statistics, MoE layer " + layer + ", '" + s.id() + "' " + name)));
    }
}
