package dev.moefrontier.harness.calib;

import dev.moefrontier.harness.model.ForwardObserver;
import dev.moefrontier.harness.model.ModelConfig;
import dev.moefrontier.harness.model.ModelPatch;
import dev.moefrontier.harness.model.MoeLayerEvent;
import dev.moefrontier.harness.registry.Registry;
import dev.moefrontier.harness.model.ModelWeights;
import dev.moefrontier.harness.model.MoeTransformer;
import dev.moefrontier.harness.model.TokenBatch;
import dev.moefrontier.harness.runtime.Numerics;
import dev.moefrontier.harness.util.Progress;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * One streamed calibration pass collecting every requested statistic, with an on-disk cache keyed by checkpoint
 * fingerprint + calibration spec + statistics version. A cached file is reused when it holds every requested kind;
 * otherwise the union is recomputed and the file replaced.
 */
public final class Calibrator {
    private final Path cacheDir;
    private final int maxBatchTokens;
    private final Consumer<String> log;

    /**
     * @param cacheDir directory of cached statistics, or null for no cache
     * @param maxBatchTokens tokens per forward micro-batch
     * @param log receives human-readable notes (cache hits, coverage warnings)
     */
    public Calibrator(Path cacheDir, int maxBatchTokens, Consumer<String> log) {
        this.cacheDir = cacheDir;
        this.maxBatchTokens = maxBatchTokens;
        this.log = log;
    }

    /** The cache directory, or null when caching is off. */
    public Path cacheDir() {
        return cacheDir;
    }

    /** Tokens per forward micro-batch. */
    public int maxBatchTokens() {
        return maxBatchTokens;
    }

    /** {@code -Dfrontier.cache}, {@code $FRONTIER_CACHE} or {@code ~/.cache/moe-frontier}. */
    public static Path defaultCacheDir() {
        return dev.moefrontier.harness.io.ContentDigest.defaultRoot();
    }

    /** The cache key of a checkpoint and calibration spec, under the numerics in force (statistics depend on them). */
    public static String key(String fingerprint, CalibrationSpec spec) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update((fingerprint + "|" + spec.describe() + "|v" + CalibrationStats.VERSION + "|" + Numerics.cacheKey())
                    .getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(md.digest()).substring(0, 24);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Statistics of the dense model, from the cache when possible. */
    public CalibrationStats stats(MoeTransformer model, CalibrationData data, Set<Statistic> wanted) {
        return stats(model, data, wanted, Set.of());
    }

    /**
     * Statistics of the dense model: the built-in {@code wanted} ones and the plug-in statistics {@code plugins}, from
     * the cache where possible, otherwise in one streamed pass for everything missing. Each plug-in statistic is cached
     * in its own file, keyed like the built-ins and by its name and version.
     */
    public CalibrationStats stats(MoeTransformer model, CalibrationData data, Set<Statistic> wanted, Set<CalibrationStatistic> plugins) {
        Registry.of("calibration statistic", List.copyOf(plugins)); // names valid and unique
        Set<Statistic> need = EnumSet.of(Statistic.ROUTING);
        need.addAll(wanted);
        String key = cacheDir == null ? null : key(model.checkpoint().fingerprint(), data.spec());
        Path file = key == null ? null : cacheDir.resolve("calibration").resolve(key + ".safetensors");
        CalibrationStats builtIn = null;
        if (file != null && Files.exists(file)) {
            try {
                CalibrationStats cached = CalibrationStats.load(file);
                cached.checkFinite();
                if (cached.has(need)) {
                    log.accept("calibration: reusing cached statistics " + file);
                    builtIn = cached;
                } else {
                    need.addAll(cached.present()); // recompute the union, keep what the file had
                }
            } catch (RuntimeException e) {
                log.accept("calibration: ignoring unreadable cache " + file + " (" + e.getMessage() + ")");
            }
        }
        Map<String, Map<Integer, Map<String, double[]>>> pluginValues = new TreeMap<>();
        List<CalibrationStatistic> missing = new ArrayList<>();
        for (CalibrationStatistic st : plugins) {
            Path f = key == null ? null : pluginFile(key, st);
            Map<Integer, Map<String, double[]>> v = null;
            if (f != null) {
                try {
                    v = CalibrationStats.loadPlugin(f, st);
                    if (v != null) {
                        CalibrationStats.checkFinite(st, v);
                        log.accept("calibration: reusing cached statistic '" + st.name() + "' " + f);
                    }
                } catch (RuntimeException e) {
                    log.accept("calibration: ignoring unreadable cache " + f + " (" + e.getMessage() + ")");
                    v = null;
                }
            }
            if (v != null) {
                pluginValues.put(st.name(), v);
            } else {
                missing.add(st);
            }
        }
        if (builtIn == null || !missing.isEmpty()) {
            StatsCollector collector = builtIn == null ? new StatsCollector(model.config(), need) : null;
            PluginCollector extra = new PluginCollector(model.config(), missing);
            pass(model, data, collector == null ? extra : ForwardObserver.all(collector, extra), ModelPatch.NONE);
            if (collector != null) {
                builtIn = result(model, data, collector);
                save(file, builtIn::save);
            }
            for (CalibrationStatistic st : missing) {
                Map<Integer, Map<String, double[]>> v = extra.values(st);
                CalibrationStats.checkFinite(st, v);
                pluginValues.put(st.name(), v);
                if (key != null) {
                    save(pluginFile(key, st), f -> CalibrationStats.savePlugin(f, st, v, meta(model, data)));
                }
            }
        }
        return pluginValues.isEmpty() ? builtIn : builtIn.withPlugins(pluginValues);
    }

    private Path pluginFile(String key, CalibrationStatistic st) {
        return cacheDir.resolve("calibration").resolve(key + "." + st.name() + "-v" + st.version() + ".safetensors");
    }

    private interface Saver {
        void save(Path file) throws IOException;
    }

    private static void save(Path file, Saver saver) {
        if (file == null) {
            return;
        }
        try {
            Files.createDirectories(file.getParent());
            saver.save(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write calibration cache " + file, e);
        }
    }

    /** Runs the calibration windows through the (patched) model and returns the statistics; never cached. */
    public CalibrationStats collect(MoeTransformer model, CalibrationData data, Set<Statistic> wanted, ModelPatch patch) {
        StatsCollector collector = new StatsCollector(model.config(), wanted);
        pass(model, data, collector, patch);
        return result(model, data, collector);
    }

    private CalibrationStats result(MoeTransformer model, CalibrationData data, StatsCollector collector) {
        CalibrationStats stats = collector.result(meta(model, data));
        stats.checkFinite();
        coverage(stats).forEach(log);
        return stats;
    }

    private static Map<String, String> meta(MoeTransformer model, CalibrationData data) {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("calibration", data.spec().describe());
        meta.put("calibration_source", data.spec().source().toString());
        meta.put("checkpoint_fingerprint", model.checkpoint().fingerprint());
        meta.put("windows", Integer.toString(data.windows().size()));
        meta.put("tokens", Long.toString(data.tokens()));
        return meta;
    }

    /** One streamed pass of the calibration windows with {@code observer} watching. */
    private void pass(MoeTransformer model, CalibrationData data, ForwardObserver observer, ModelPatch patch) {
        List<TokenBatch> batches = batches(data.windows(), maxBatchTokens);
        if (model.weights().residency() == ModelWeights.Residency.STREAM) {
            // Layer-major over all windows: each layer's weights are read once.
            try (Progress p = Progress.start("calibration", model.config().numLayers(), "layers")) {
                model.run(batches, patch, new ProgressObserver(observer, p), (i, b, hidden) -> { });
            }
        } else {
            try (Progress p = Progress.start("calibration", data.tokens(), "tokens")) {
                for (TokenBatch b : batches) {
                    model.run(List.of(b), patch, observer, (i, bb, hidden) -> { });
                    p.step(b.rows());
                }
            }
        }
    }

    /** The accumulators of plug-in statistics, one per statistic and MoE layer. */
    private static final class PluginCollector implements ForwardObserver {
        private final ModelConfig cfg;
        private final List<CalibrationStatistic> statistics;
        private final Map<String, Map<Integer, CalibrationStatistic.Accumulator>> accumulators = new TreeMap<>();

        PluginCollector(ModelConfig cfg, List<CalibrationStatistic> statistics) {
            this.cfg = cfg;
            this.statistics = statistics;
        }

        @Override
        public boolean observesMoe(int layer) {
            return !statistics.isEmpty();
        }

        @Override
        public void onMoe(MoeLayerEvent event) {
            for (CalibrationStatistic st : statistics) {
                accumulators.computeIfAbsent(st.name(), n -> new TreeMap<>())
                        .computeIfAbsent(event.layer(), l -> st.start(cfg, l)).observe(event);
            }
        }

        Map<Integer, Map<String, double[]>> values(CalibrationStatistic st) {
            Map<Integer, Map<String, double[]>> out = new TreeMap<>();
            accumulators.getOrDefault(st.name(), Map.of()).forEach((l, a) -> out.put(l, Map.copyOf(a.values())));
            return out;
        }
    }

    /** Warnings about experts that received no calibration tokens, one line per layer. */
    public static List<String> coverage(CalibrationStats stats) {
        List<String> out = new ArrayList<>();
        for (int l : stats.layers()) {
            LayerStats s = stats.layer(l);
            List<Integer> empty = new ArrayList<>();
            for (int e = 0; e < s.experts(); e++) {
                if (s.count(e) == 0) {
                    empty.add(e);
                }
            }
            if (!empty.isEmpty()) {
                out.add(String.format("warning: layer %d: %d of %d experts received no calibration tokens: %s", l,
                        empty.size(), s.experts(), empty.size() > 12 ? empty.subList(0, 12) + "..." : empty));
            }
        }
        return out;
    }

    /** Groups windows into micro-batches of at most {@code maxTokens} padded tokens, in order. */
    static List<TokenBatch> batches(List<int[]> windows, int maxTokens) {
        List<TokenBatch> out = new ArrayList<>();
        List<int[]> cur = new ArrayList<>();
        int maxLen = 0;
        for (int[] w : windows) {
            int len = Math.max(maxLen, w.length);
            if (!cur.isEmpty() && (long) len * (cur.size() + 1) > maxTokens) {
                out.add(new TokenBatch(cur));
                cur = new ArrayList<>();
                len = w.length;
            }
            cur.add(w);
            maxLen = len;
        }
        if (!cur.isEmpty()) {
            out.add(new TokenBatch(cur));
        }
        return out;
    }

    /** Advances a progress bar once per layer (all micro-batches) while forwarding events. */
    private static final class ProgressObserver implements ForwardObserver {
        private final ForwardObserver inner;
        private final Progress progress;
        private int lastLayer = -1;

        ProgressObserver(ForwardObserver inner, Progress progress) {
            this.inner = inner;
            this.progress = progress;
        }

        @Override
        public boolean observesMoe(int layer) {
            return inner.observesMoe(layer);
        }

        @Override
        public void onMoe(MoeLayerEvent event) {
            inner.onMoe(event);
        }

        @Override
        public boolean observesLayerOutput(int layer) {
            return true;
        }

        @Override
        public void onLayerOutput(int layer, TokenBatch batch, ai.djl.ndarray.NDArray hidden) {
            if (inner.observesLayerOutput(layer)) {
                inner.onLayerOutput(layer, batch, hidden);
            }
            if (layer != lastLayer) { // once per layer, not per micro-batch
                lastLayer = layer;
                progress.step(1);
            }
        }
    }
}
