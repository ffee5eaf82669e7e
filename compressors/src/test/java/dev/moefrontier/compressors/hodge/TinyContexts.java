package dev.moefrontier.compressors.hodge;

import dev.moefrontier.harness.calib.CalibrationData;
import dev.moefrontier.harness.calib.CalibrationSpec;
import dev.moefrontier.harness.calib.Calibrator;
import dev.moefrontier.harness.calib.RoutingStatistics;
import dev.moefrontier.harness.compress.CompressionContext;
import dev.moefrontier.harness.model.MoeTransformer;
import dev.moefrontier.harness.util.Progress;
import java.nio.file.Path;
import java.util.List;

/** A compression context on a conformance model's own inputs, its statistics cached under {@code cache}. */
final class TinyContexts {
    private TinyContexts() {}

    static CompressionContext of(MoeTransformer m, Path inputs, Path cache, List<String> log) {
        Progress.quiet(true);
        CalibrationData d = CalibrationData.load(CalibrationSpec.tokenIds(inputs), m.checkpoint().dir(), m.config().vocabSize(), 1 << 20);
        Calibrator cal = new Calibrator(cache, 4096, log::add);
        return CompressionContext.builder().setModel(m).optData(d).optStats(cal.stats(m, d, List.of(RoutingStatistics.OUTPUT_NORMS)))
                .optCalibrator(cal).optLog(log::add).build();
    }
}
