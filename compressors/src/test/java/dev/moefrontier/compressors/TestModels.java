package dev.moefrontier.compressors;

import dev.moefrontier.harness.calib.CalibrationData;
import dev.moefrontier.harness.calib.CalibrationSpec;
import dev.moefrontier.harness.calib.CalibrationStats;
import dev.moefrontier.harness.calib.Calibrator;
import dev.moefrontier.harness.calib.RoutingStatistics;
import dev.moefrontier.harness.compress.CompressionContext;
import dev.moefrontier.harness.compress.CompressorCatalog;
import dev.moefrontier.harness.model.MoeTransformer;
import dev.moefrontier.harness.util.Progress;
import java.nio.file.Path;
import java.util.List;
import dev.moefrontier.harness.spi.CalibrationStatistic;

/** Shared set-up: a model with token-id calibration, statistics and a compression context. */
final class TestModels {
    static final CompressorCatalog CATALOG = CompressorCatalog.load();
    /** One calibration / barrier cache for the test run (keys include checkpoint fingerprints and calibration data). */
    static final Path CACHE = cacheDir();

    static {
        Progress.quiet(true);
    }

    private TestModels() {}

    /** Context over {@code dir} calibrated on {@code ids} (a token-id .json), collecting {@code stats}. */
    static CompressionContext context(MoeTransformer model, Path ids, List<CalibrationStatistic> stats) {
        CalibrationData data = CalibrationData.load(CalibrationSpec.tokenIds(ids), model.checkpoint().dir(), model.config().vocabSize(), 1 << 20);
        Calibrator cal = new Calibrator(CACHE, 4096, s -> { });
        CalibrationStats st = cal.collect(model, data, stats, dev.moefrontier.harness.model.ModelPatch.NONE);
        return CompressionContext.builder().setModel(model).optData(data).optStats(st).optCalibrator(cal).optSeed(7).build();
    }

    private static Path cacheDir() {
        try {
            Path d = java.nio.file.Files.createTempDirectory("frontier-test-cache");
            d.toFile().deleteOnExit();
            return d;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Writes {@code sequences} token-id windows of {@code length} random ids below {@code vocab} (seeded) to {@code file}. */
    static Path calibration(Path file, long seed, int sequences, int length, int vocab) throws java.io.IOException {
        java.util.Random r = new java.util.Random(seed);
        StringBuilder sb = new StringBuilder("{\"input_ids\": [");
        for (int s = 0; s < sequences; s++) {
            sb.append(s == 0 ? "[" : ", [");
            for (int t = 0; t < length; t++) {
                sb.append(t == 0 ? "" : ", ").append(r.nextInt(vocab));
            }
            sb.append(']');
        }
        java.nio.file.Files.writeString(file, sb.append("]}").toString());
        return file;
    }

    /** The plan of registered compressor {@code name} at {@code ratio} with {@code opts}. */
    static dev.moefrontier.harness.compress.PruningPlan plan(CompressionContext ctx, String name, double ratio,
            java.util.Map<String, String> opts) {
        dev.moefrontier.harness.spi.Compressor c = CATALOG.get(name);
        return c.plan(ctx, ratio, dev.moefrontier.harness.compress.Options.parse(name, c.options(), opts));
    }

    /** The logits of {@code ids} under {@code patch}, flattened. */
    static float[] logits(MoeTransformer m, dev.moefrontier.harness.model.ModelPatch patch, int[] ids) {
        try (ai.djl.ndarray.NDManager nd = ai.djl.ndarray.NDManager.newBaseManager()) {
            return m.logits(ids, patch, dev.moefrontier.harness.model.ForwardObserver.NONE, nd).toFloatArray();
        }
    }

    /** The largest absolute difference of two arrays of one length. */
    static double maxDiff(float[] a, float[] b) {
        double worst = 0;
        for (int i = 0; i < a.length; i++) {
            worst = Math.max(worst, Math.abs(a[i] - b[i]));
        }
        return worst;
    }

    /** Every streamed statistic a built-in compressor reads. */
    static List<CalibrationStatistic> all() {
        return List.of(RoutingStatistics.ROUTING, RoutingStatistics.OUTPUT_NORMS, WandaInputs.STATISTIC, RouterGram.STATISTIC,
                MeanOutputs.STATISTIC);
    }
}
