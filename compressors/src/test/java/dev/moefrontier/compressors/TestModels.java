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

    /** Every streamed statistic a built-in compressor reads. */
    static List<CalibrationStatistic> all() {
        return List.of(RoutingStatistics.ROUTING, RoutingStatistics.OUTPUT_NORMS, WandaInputs.STATISTIC, RouterGram.STATISTIC,
                MeanOutputs.STATISTIC);
    }
}
