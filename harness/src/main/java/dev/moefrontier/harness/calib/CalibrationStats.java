package dev.moefrontier.harness.calib;

import dev.moefrontier.harness.io.CheckpointException;
import dev.moefrontier.harness.io.SafetensorsFile;
import dev.moefrontier.harness.io.SafetensorsWriter;
import dev.moefrontier.harness.io.TensorInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** The statistics of one calibration pass over a model: per MoE layer, and which kinds were collected. */
public final class CalibrationStats {
    /** Bump when the meaning or layout of any statistic changes; old caches are then recomputed. */
    public static final int VERSION = 1;

    private final Set<Statistic> present;
    private final Map<Integer, LayerStats> layers;
    private final Map<String, String> meta;
    /** Plug-in statistics: name → MoE layer → named arrays. */
    private final Map<String, Map<Integer, Map<String, double[]>>> plugins;

    CalibrationStats(Set<Statistic> present, Map<Integer, LayerStats> layers, Map<String, String> meta) {
        this(present, layers, meta, Map.of());
    }

    private CalibrationStats(Set<Statistic> present, Map<Integer, LayerStats> layers, Map<String, String> meta,
            Map<String, Map<Integer, Map<String, double[]>>> plugins) {
        this.present = Collections.unmodifiableSet(EnumSet.copyOf(present));
        this.layers = Collections.unmodifiableMap(new TreeMap<>(layers));
        this.meta = Collections.unmodifiableMap(new LinkedHashMap<>(meta));
        this.plugins = Collections.unmodifiableMap(new TreeMap<>(plugins));
    }

    /** These statistics plus the plug-in statistics {@code more} (name → layer → arrays). */
    CalibrationStats withPlugins(Map<String, Map<Integer, Map<String, double[]>>> more) {
        Map<String, Map<Integer, Map<String, double[]>>> all = new TreeMap<>(plugins);
        all.putAll(more);
        return new CalibrationStats(present, layers, meta, all);
    }

    /** Whether the plug-in statistic was collected. */
    public boolean has(CalibrationStatistic statistic) {
        return plugins.containsKey(statistic.name());
    }

    /** The arrays of a plug-in statistic for MoE layer {@code layer}, as its accumulator returned them. */
    public Map<String, double[]> values(CalibrationStatistic statistic, int layer) {
        Map<Integer, Map<String, double[]>> s = plugins.get(statistic.name());
        if (s == null) {
            throw new IllegalArgumentException("calibration statistic '" + statistic.name() + "' was not collected (declare it"
                    + " in the compressor's statistics())");
        }
        Map<String, double[]> v = s.get(layer);
        if (v == null) {
            throw new IllegalArgumentException("calibration statistic '" + statistic.name() + "' has no values for MoE layer " + layer);
        }
        return v;
    }

    /** Writes one plug-in statistic (every layer) as F64 tensors named {@code layer.L.NAME} (atomically). */
    static void savePlugin(Path file, CalibrationStatistic s, Map<Integer, Map<String, double[]>> values, Map<String, String> meta)
            throws IOException {
        SafetensorsWriter w = new SafetensorsWriter();
        Map<String, String> m = new LinkedHashMap<>(meta);
        m.put("format", "moe-frontier/calibration-statistic");
        m.put("statistic", s.name());
        m.put("statistic_version", Integer.toString(s.version()));
        w.metadata(m);
        values.forEach((layer, arrays) -> arrays.forEach((name, v) -> w.addDoubles("layer." + layer + "." + name, new long[] {v.length}, v)));
        w.write(file);
    }

    /** Reads {@link #savePlugin}'s file; null when it is absent or of another statistic or version. */
    static Map<Integer, Map<String, double[]>> loadPlugin(Path file, CalibrationStatistic s) {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            Map<String, String> meta = f.metadata();
            if (!"moe-frontier/calibration-statistic".equals(meta.get("format")) || !s.name().equals(meta.get("statistic"))
                    || !Integer.toString(s.version()).equals(meta.get("statistic_version"))) {
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

    /** Refuses NaN/Inf in a plug-in statistic, naming it, the layer and the array. */
    static void checkFinite(CalibrationStatistic s, Map<Integer, Map<String, double[]>> values) {
        values.forEach((layer, arrays) -> arrays.forEach((name, v) -> dev.moefrontier.harness.util.NonFiniteException.check(v,
                "calibration statistic '" + s.name() + "', MoE layer " + layer + ", " + name)));
    }

    /** Throws {@link dev.moefrontier.harness.util.NonFiniteException} naming the first layer and statistic with NaN/Inf. */
    public void checkFinite() {
        layers.values().forEach(LayerStats::checkFinite);
    }

    /** Kinds of statistics held. */
    public Set<Statistic> present() {
        return present;
    }

    public boolean has(Set<Statistic> wanted) {
        return present.containsAll(wanted);
    }

    /** The statistics of MoE layer {@code layer}. */
    public LayerStats layer(int layer) {
        LayerStats s = layers.get(layer);
        if (s == null) {
            throw new IllegalArgumentException("no calibration statistics for layer " + layer);
        }
        return s;
    }

    /** MoE layers, ascending. */
    public Set<Integer> layers() {
        return layers.keySet();
    }

    /** Provenance: calibration spec, checkpoint fingerprint, tokens, version. */
    public Map<String, String> meta() {
        return meta;
    }

    /** Writes the statistics as a safetensors file of F64 tensors (atomically). */
    public void save(Path file) throws IOException {
        SafetensorsWriter w = new SafetensorsWriter();
        Map<String, String> m = new LinkedHashMap<>(meta);
        m.put("format", "moe-frontier/calibration-stats");
        m.put("stats_version", Integer.toString(VERSION));
        m.put("statistics", String.join(",", present.stream().map(Enum::name).toList()));
        w.metadata(m);
        for (LayerStats s : layers.values()) {
            String p = "layer." + s.layer + ".";
            int e = s.experts;
            w.addDoubles(p + "dims", new long[] {6},
                    new double[] {e, s.hidden, s.intermediate, s.sharedIntermediate, s.tokens, s.layer});
            double[] c = new double[e];
            for (int i = 0; i < e; i++) {
                c[i] = s.counts[i];
            }
            w.addDoubles(p + "counts", new long[] {e}, c);
            w.addDoubles(p + "moments", new long[] {LayerStats.POWERS, LayerStats.POWERS, e}, s.moments);
            add(w, p + "wanda_in", s.wandaIn, e, s.hidden);
            add(w, p + "wanda_mid", s.wandaMid, e, s.intermediate);
            add(w, p + "shared_in", s.sharedIn, 1, s.hidden);
            add(w, p + "shared_mid", s.sharedMid, 1, s.sharedIntermediate);
            add(w, p + "gram", s.gram, e, e);
            add(w, p + "out_sum", s.outSum, e, s.hidden);
        }
        w.write(file);
    }

    private static void add(SafetensorsWriter w, String name, double[] v, long rows, long cols) {
        if (v != null) {
            w.addDoubles(name, new long[] {rows, cols}, v);
        }
    }

    /** Reads a file written by {@link #save}; throws a one-line error when it is not one. */
    public static CalibrationStats load(Path file) {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            Map<String, String> meta = new LinkedHashMap<>(f.metadata());
            if (!"moe-frontier/calibration-stats".equals(meta.get("format"))) {
                throw CheckpointException.of(file, "not a calibration statistics file");
            }
            Set<Statistic> present = EnumSet.noneOf(Statistic.class);
            for (String s : meta.getOrDefault("statistics", "").split(",")) {
                if (!s.isBlank()) {
                    present.add(Statistic.valueOf(s));
                }
            }
            Map<Integer, LayerStats> layers = new TreeMap<>();
            for (TensorInfo t : f.tensors().values()) {
                if (!t.name().endsWith(".dims")) {
                    continue;
                }
                double[] d = f.readDoubles(t);
                LayerStats s = new LayerStats((int) d[5], (int) d[0], (int) d[1], (int) d[2], (int) d[3]);
                s.tokens = (long) d[4];
                String p = "layer." + s.layer + ".";
                double[] c = f.readDoubles(f.tensors().get(p + "counts"));
                for (int i = 0; i < c.length; i++) {
                    s.counts[i] = (long) c[i];
                }
                System.arraycopy(f.readDoubles(f.tensors().get(p + "moments")), 0, s.moments, 0, s.moments.length);
                s.wandaIn = opt(f, p + "wanda_in");
                s.wandaMid = opt(f, p + "wanda_mid");
                s.sharedIn = opt(f, p + "shared_in");
                s.sharedMid = opt(f, p + "shared_mid");
                s.gram = opt(f, p + "gram");
                s.outSum = opt(f, p + "out_sum");
                layers.put(s.layer, s);
            }
            return new CalibrationStats(present, layers, meta);
        }
    }

    private static double[] opt(SafetensorsFile f, String name) {
        TensorInfo t = f.tensors().get(name);
        return t == null ? null : f.readDoubles(t);
    }
}
