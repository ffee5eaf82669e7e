package dev.moefrontier.compressors.hodge;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonParser;
import dev.moefrontier.harness.calib.Calibrator;
import dev.moefrontier.harness.compress.CompressionContext;
import dev.moefrontier.harness.compress.Decisions;
import dev.moefrontier.harness.util.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Barriers of every MoE layer of a model (pairs, candidates, triplets), computed in one ascending pass and cached next
 * to the calibration statistics ({@code <cache>/barriers/<key>/layer-L.json}, the {@code frontier hodge} input layout),
 * so ratios and ablations reuse them.
 */
public final class HodgeBarriers {
    private HodgeBarriers() {}

    /** Barriers for every MoE layer, from the cache where possible. */
    public static Map<Integer, LayerBarriers> forModel(CompressionContext ctx, BarrierSettings s) {
        List<Integer> layers = ctx.config().moeLayers();
        Path dir = cacheDir(ctx, s);
        Map<Integer, LayerBarriers> out = new LinkedHashMap<>();
        List<Integer> missing = new ArrayList<>();
        for (int l : layers) {
            LayerBarriers cached = read(dir, l);
            if (cached != null) {
                out.put(l, cached);
            } else {
                missing.add(l);
            }
        }
        if (missing.isEmpty()) {
            ctx.log().accept("barriers: reusing cached barriers " + dir);
            return out;
        }
        try (MergeBarriers mb = new MergeBarriers(ctx.model(), ctx.stats(), windows(ctx, s), s.mode(), s.batchTokens(), s.memoryBudget())) {
            for (int l : missing) {
                LayerBarriers lb = compute(mb, l, ctx.config().moe().numExperts(), s);
                out.put(l, lb);
                write(dir, lb);
            }
            ctx.log().accept("barriers: " + mb.report());
        }
        Map<Integer, LayerBarriers> sorted = new LinkedHashMap<>();
        for (int l : layers) {
            sorted.put(l, out.get(l));
        }
        return sorted;
    }

    /** Pairs, then candidate triangles from them, then triplets, for one layer. */
    public static LayerBarriers compute(MergeBarriers mb, int layer, int experts, BarrierSettings s) {
        double[][] pairs = mb.pairMatrix(layer, experts);
        for (int i = 0; i < experts; i++) {
            for (int j = 0; j < experts; j++) {
                if (!Double.isFinite(pairs[i][j])) {
                    throw new dev.moefrontier.harness.util.NonFiniteException("merge barrier of MoE layer " + layer
                            + ", experts (" + i + ", " + j + ") is " + pairs[i][j] + " (non-finite weights or activations)");
                }
            }
        }
        // Candidates are a decision on computed barriers: taken on the §10 grid, like every later step.
        int[][] cands = Candidates.triangles(Decisions.snap(pairs, Decisions.BARRIERS), s.triangleCap(), s.candidateSeed());
        double[] trip = cands.length == 0 ? new double[0]
                : mb.compute(layer, java.util.Arrays.asList(cands), "barriers L" + layer + " triplets");
        for (int t = 0; t < trip.length; t++) {
            if (!Double.isFinite(trip[t])) {
                throw new dev.moefrontier.harness.util.NonFiniteException("triplet barrier of MoE layer " + layer + ", experts "
                        + java.util.Arrays.toString(cands[t]) + " is " + trip[t] + " (non-finite weights or activations)");
            }
        }
        return new LayerBarriers(layer, pairs, cands, trip);
    }

    /** The leading calibration windows within the token budget. */
    static List<int[]> windows(CompressionContext ctx, BarrierSettings s) {
        List<int[]> all = ctx.data().windows();
        if (s.maxTokens() <= 0) {
            return all;
        }
        List<int[]> out = new ArrayList<>();
        long n = 0;
        for (int[] w : all) {
            if (!out.isEmpty() && n + w.length > s.maxTokens()) {
                break;
            }
            out.add(w);
            n += w.length;
        }
        return out;
    }

    private static Path cacheDir(CompressionContext ctx, BarrierSettings s) {
        Path base = ctx.calibrator().cacheDir();
        if (base == null) {
            return null;
        }
        String key = Calibrator.key(ctx.model().checkpoint().fingerprint(), ctx.data().spec());
        return base.resolve("barriers").resolve(key + "-" + s.key());
    }

    private static LayerBarriers read(Path dir, int layer) {
        if (dir == null) {
            return null;
        }
        Path f = dir.resolve("layer-" + layer + ".json");
        if (!Files.exists(f)) {
            return null;
        }
        try {
            return LayerBarriers.fromJson(JsonParser.parseString(Files.readString(f)).getAsJsonObject());
        } catch (IOException | RuntimeException e) {
            return null; // unreadable cache entries are recomputed
        }
    }

    private static void write(Path dir, LayerBarriers lb) {
        if (dir == null) {
            return;
        }
        try {
            Files.createDirectories(dir);
            AtomicFiles.writeString(dir.resolve("layer-" + lb.layer() + ".json"), new GsonBuilder().create().toJson(lb.toJson()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write barrier cache " + dir, e);
        }
    }
}
