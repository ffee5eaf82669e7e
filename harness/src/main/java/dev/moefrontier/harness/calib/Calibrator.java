package dev.moefrontier.harness.calib;

import dev.moefrontier.harness.spi.CalibrationStatistic;
import dev.moefrontier.harness.model.ForwardObserver;
import dev.moefrontier.harness.model.ModelPatch;
import dev.moefrontier.harness.model.MoeLayerEvent;
import dev.moefrontier.harness.spi.Registry;
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
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Calibration statistics of a model: one streamed pass collecting every requested {@link CalibrationStatistic.Streamed}
 * statistic that is not cached, then the {@link CalibrationStatistic.Computed} ones. Each statistic has its own cache
 * file, keyed by checkpoint fingerprint + calibration data + numerics + the statistic's name, version and parameters.
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

    /**
     * Statistics of the dense model: {@code wanted}, everything they {@link CalibrationStatistic#requires() require}, and
     * always {@link RoutingStatistics#ROUTING}; each from its cache file where possible. The streamed statistics that are
     * missing are collected in one pass; computed ones follow, each after what it requires. Each statistic is cached in a
     * file of its own ({@code <cache>/calibration/<key>.<name>-v<version>[-<parameters hash>].safetensors}).
     */
    public CalibrationStats stats(MoeTransformer model, CalibrationData data, Collection<? extends CalibrationStatistic> wanted) {
        List<CalibrationStatistic> all = closure(wanted);
        String key = cacheDir == null ? null : key(model.checkpoint().fingerprint(), data.spec());
        Map<String, Map<Integer, Map<String, double[]>>> have = new LinkedHashMap<>();
        List<CalibrationStatistic.Streamed> streamed = new ArrayList<>();
        List<CalibrationStatistic.Computed> computed = new ArrayList<>();
        Map<String, Map<Integer, Map<String, double[]>>> parts = new LinkedHashMap<>();
        for (CalibrationStatistic st : all) {
            Map<Integer, Map<String, double[]>> v = cached(key, st);
            if (v != null) {
                have.put(st.id(), v);
            } else if (isPerLayer(st)) {
                parts.put(st.id(), cachedLayers(key, st, model.config().moeLayers()));
                computed.add((CalibrationStatistic.Computed) st);
            } else if (st instanceof CalibrationStatistic.Streamed s) {
                streamed.add(s);
            } else if (st instanceof CalibrationStatistic.Computed c) {
                computed.add(c);
            } else {
                throw new IllegalArgumentException("calibration statistic '" + st.id() + "' is neither Streamed nor Computed");
            }
        }
        Map<String, String> meta = meta(model, data);
        CalibrationStats stats = new CalibrationStats(have, meta);
        if (!streamed.isEmpty()) {
            StatsCollector collector = new StatsCollector(model.config(), streamed);
            pass(model, data, collector, ModelPatch.NONE);
            for (CalibrationStatistic.Streamed st : streamed) {
                Map<Integer, Map<String, double[]>> v = collector.values(st);
                CalibrationStats.checkFinite(st, v); // nothing non-finite is cached
                store(key, st, v, meta);
                have.put(st.id(), v);
            }
            stats = new CalibrationStats(have, meta);
            if (streamed.contains(RoutingStatistics.ROUTING)) {
                coverage(stats).forEach(log);
            }
        }
        while (!computed.isEmpty()) {
            CalibrationStatistic.Computed next = null;
            for (CalibrationStatistic.Computed c : computed) {
                if (c.requires().stream().allMatch(stats::has)) {
                    next = c;
                    break;
                }
            }
            if (next == null) {
                throw new IllegalArgumentException("calibration statistics " + computed.stream().map(CalibrationStatistic::id).toList()
                        + " require each other");
            }
            computed.remove(next);
            Map<Integer, Map<String, double[]>> v;
            if (next.perLayer()) {
                // Layers cached by per-layer tasks (frontier plan's phase 1) are read; only the others are computed.
                v = new java.util.TreeMap<>(parts.get(next.id()));
                List<Integer> missing = model.config().moeLayers().stream().filter(l -> !v.containsKey(l)).toList();
                if (!missing.isEmpty()) {
                    Map<Integer, Map<String, double[]>> got = next.compute(new CalibrationStatistic.Inputs(model, data, stats, log, missing));
                    v.putAll(only(next, got, missing));
                }
            } else {
                v = next.compute(new CalibrationStatistic.Inputs(model, data, stats, log));
            }
            CalibrationStats.checkFinite(next, v);
            store(key, next, v, meta);
            stats = stats.with(Map.of(next.id(), v));
        }
        return stats;
    }

    /**
     * Phase 1 of a scheduled sweep, part one: every statistic of {@code wanted} (and what they require) except the
     * {@link CalibrationStatistic.Computed#perLayer() per-layer} ones, into the cache. The per-layer statistics are left
     * to {@link #prepareLayers}, which runs as separate scheduler tasks.
     */
    public CalibrationStats prepareShared(MoeTransformer model, CalibrationData data, Collection<? extends CalibrationStatistic> wanted) {
        List<CalibrationStatistic> shared = new ArrayList<>();
        for (CalibrationStatistic st : closure(wanted)) {
            if (!isPerLayer(st)) {
                shared.add(st);
            }
        }
        return stats(model, data, shared);
    }

    /**
     * Phase 1 of a scheduled sweep, part two: the {@link CalibrationStatistic.Computed#perLayer() per-layer} statistics of
     * {@code wanted} for MoE layers {@code layers} only, each layer into a cache file of its own ({@code
     * <statistic file>.layer<L>.safetensors}), so that tasks for different layers run safely in parallel and a
     * requeued task skips the layers it already finished. What they require comes from the cache ({@link #prepareShared}).
     * {@link #stats} later reads these files instead of computing the layers again. Returns the layers computed now.
     */
    public List<Integer> prepareLayers(MoeTransformer model, CalibrationData data, Collection<? extends CalibrationStatistic> wanted,
            List<Integer> layers) {
        if (cacheDir == null) {
            throw new IllegalArgumentException("per-layer statistics need a calibration cache to write into");
        }
        List<Integer> moe = model.config().moeLayers();
        for (int l : layers) {
            if (!moe.contains(l)) {
                throw new IllegalArgumentException("layer " + l + " is not a MoE layer of " + model.checkpoint().dir()
                        + " (MoE layers: " + moe + ")");
            }
        }
        String key = key(model.checkpoint().fingerprint(), data.spec());
        Map<String, String> meta = meta(model, data);
        java.util.Set<Integer> done = new java.util.TreeSet<>();
        for (CalibrationStatistic st : closure(wanted)) {
            if (!isPerLayer(st)) {
                continue;
            }
            CalibrationStatistic.Computed c = (CalibrationStatistic.Computed) st;
            if (cached(key, c) != null) {
                continue; // the whole statistic is cached already
            }
            Map<Integer, Map<String, double[]>> have = cachedLayers(key, c, layers);
            List<Integer> missing = layers.stream().filter(l -> !have.containsKey(l)).sorted().toList();
            if (missing.isEmpty()) {
                continue;
            }
            CalibrationStats required = stats(model, data, c.requires());
            Map<Integer, Map<String, double[]>> v = only(c, c.compute(new CalibrationStatistic.Inputs(model, data, required, log, missing)),
                    missing);
            CalibrationStats.checkFinite(c, v);
            for (int l : missing) {
                Path f = layerFile(key, c, l);
                try {
                    Files.createDirectories(f.getParent());
                    CalibrationStats.save(f, c, Map.of(l, v.get(l)), meta);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot write calibration cache " + f, e);
                }
                done.add(l);
            }
        }
        return List.copyOf(done);
    }

    /** Whether {@code st} is a {@link CalibrationStatistic.Computed#perLayer() per-layer} statistic. */
    public static boolean isPerLayer(CalibrationStatistic st) {
        return st instanceof CalibrationStatistic.Computed c && c.perLayer();
    }

    /** The layers of {@code st} cached in per-layer files, among {@code layers}. */
    private Map<Integer, Map<String, double[]>> cachedLayers(String key, CalibrationStatistic st, List<Integer> layers) {
        Map<Integer, Map<String, double[]>> out = new java.util.TreeMap<>();
        if (key == null) {
            return out;
        }
        for (int l : layers) {
            Path f = layerFile(key, st, l);
            try {
                Map<Integer, Map<String, double[]>> v = CalibrationStats.load(f, st);
                if (v != null && v.containsKey(l)) {
                    CalibrationStats.checkFinite(st, v);
                    out.put(l, v.get(l));
                }
            } catch (RuntimeException e) {
                log.accept("calibration: ignoring unreadable cache " + f + " (" + e.getMessage() + ")");
            }
        }
        if (!out.isEmpty()) {
            log.accept("calibration: reusing " + out.size() + " cached layer(s) " + out.keySet() + " of '" + st.id() + "'");
        }
        return out;
    }

    /** Exactly the asked layers of a per-layer statistic's result, or a clear error naming what it got. */
    private static Map<Integer, Map<String, double[]>> only(CalibrationStatistic st, Map<Integer, Map<String, double[]>> got,
            List<Integer> layers) {
        Map<Integer, Map<String, double[]>> out = new java.util.TreeMap<>();
        for (int l : layers) {
            Map<String, double[]> v = got.get(l);
            if (v == null) {
                throw new IllegalStateException("calibration statistic '" + st.id() + "' asked for MoE layers " + layers
                        + " returned " + got.keySet());
            }
            out.put(l, v);
        }
        return out;
    }

    /** {@code wanted}, what it requires (transitively) and the routing statistic, once each by id, routing first. */
    public static List<CalibrationStatistic> closure(Collection<? extends CalibrationStatistic> wanted) {
        Map<String, CalibrationStatistic> byId = new LinkedHashMap<>();
        java.util.ArrayDeque<CalibrationStatistic> todo = new java.util.ArrayDeque<>();
        todo.add(RoutingStatistics.ROUTING);
        todo.addAll(wanted);
        while (!todo.isEmpty()) {
            CalibrationStatistic st = todo.poll();
            CalibrationStatistic seen = byId.putIfAbsent(st.id(), st);
            if (seen == null) {
                Registry.checkName("calibration statistic", st);
                todo.addAll(st.requires());
            } else if (seen.version() != st.version() || !seen.getClass().equals(st.getClass())) {
                throw new IllegalArgumentException("two different calibration statistics are named '" + st.id() + "' ("
                        + Registry.origin(seen) + ", " + Registry.origin(st) + ")");
            }
        }
        return List.copyOf(byId.values());
    }

    private Map<Integer, Map<String, double[]>> cached(String key, CalibrationStatistic st) {
        if (key == null) {
            return null;
        }
        Path f = file(key, st);
        try {
            Map<Integer, Map<String, double[]>> v = CalibrationStats.load(f, st);
            if (v != null) {
                CalibrationStats.checkFinite(st, v);
                log.accept("calibration: reusing cached statistic '" + st.id() + "' " + f);
            }
            return v;
        } catch (RuntimeException e) {
            log.accept("calibration: ignoring unreadable cache " + f + " (" + e.getMessage() + ")");
            return null;
        }
    }

    private void store(String key, CalibrationStatistic st, Map<Integer, Map<String, double[]>> v, Map<String, String> meta) {
        if (key == null) {
            return;
        }
        Path f = file(key, st);
        try {
            Files.createDirectories(f.getParent());
            CalibrationStats.save(f, st, v, meta);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write calibration cache " + f, e);
        }
    }

    /** The cache file of a statistic: its name and version, and a hash of its parameters when it has any. */
    Path file(String key, CalibrationStatistic st) {
        String params = st.parameters().isEmpty() ? "" : "-" + sha256(st.parameters()).substring(0, 12);
        return cacheDir.resolve("calibration").resolve(key + "." + st.name() + "-v" + st.version() + params + ".safetensors");
    }

    /** A per-layer cache file of a {@link CalibrationStatistic.Computed#perLayer() per-layer} statistic. */
    Path layerFile(String key, CalibrationStatistic st, int layer) {
        String whole = file(key, st).getFileName().toString();
        return cacheDir.resolve("calibration").resolve(whole.substring(0, whole.length() - ".safetensors".length()) + ".layer" + layer
                + ".safetensors");
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Runs the calibration windows through the (patched) model and returns the streamed statistics {@code wanted} (and
     * routing); never cached, since a patch is not part of the key.
     */
    public CalibrationStats collect(MoeTransformer model, CalibrationData data, Collection<? extends CalibrationStatistic> wanted,
            ModelPatch patch) {
        List<CalibrationStatistic.Streamed> streamed = new ArrayList<>();
        for (CalibrationStatistic st : closure(wanted)) {
            if (!(st instanceof CalibrationStatistic.Streamed s)) {
                throw new IllegalArgumentException("calibration statistic '" + st.id() + "' is not streamed; collect() runs one pass");
            }
            streamed.add(s);
        }
        StatsCollector collector = new StatsCollector(model.config(), streamed);
        pass(model, data, collector, patch);
        CalibrationStats stats = collector.result(meta(model, data));
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
    public static List<TokenBatch> batches(List<int[]> windows, int maxTokens) {
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
