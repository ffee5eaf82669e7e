package dev.moefrontier.compressors;

import dev.moefrontier.harness.spi.CalibrationStatistic;
import dev.moefrontier.harness.compress.CompressionContext;
import dev.moefrontier.harness.spi.Compressor;
import dev.moefrontier.harness.compress.LayerPlan;
import dev.moefrontier.harness.compress.OptionSpec;
import dev.moefrontier.harness.compress.Options;
import dev.moefrontier.harness.compress.PruningPlan;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/** Prunes a uniformly random subset of m experts per layer (methods.md §3), reproducible under its seed. */
public final class RandomCompressor implements Compressor {
    @Override
    public String name() {
        return "random";
    }

    @Override
    public String description() {
        return "Uniformly random experts per layer (seeded)";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(OptionSpec.integer("seed", -1, -1, null, "random seed; -1 uses the run's seed"));
    }

    @Override
    public Set<CalibrationStatistic> statistics(Options options) {
        return Set.of();
    }

    @Override
    public PruningPlan plan(CompressionContext ctx, double ratio, Options options) {
        int m = ctx.pruneCount(ratio);
        int e = ctx.config().moe().numExperts();
        long seed = options.getInt("seed") >= 0 ? options.getInt("seed") : ctx.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        List<LayerPlan> layers = new ArrayList<>();
        for (int l : ctx.config().moeLayers()) {
            int[] perm = new int[e];
            for (int i = 0; i < e; i++) {
                perm[i] = i;
            }
            for (int i = e - 1; i > 0; i--) { // Fisher-Yates
                int j = rnd.nextInt(i + 1);
                int t = perm[i];
                perm[i] = perm[j];
                perm[j] = t;
            }
            layers.add(LayerPlan.keep(l, e, java.util.Arrays.copyOfRange(perm, m, e)));
        }
        Map<String, String> info = new LinkedHashMap<>();
        info.put("seed", Long.toString(seed));
        return new PruningPlan(name(), options.asMap(), ratio, PruningPlan.Mode.DROP, layers, null, info);
    }
}
