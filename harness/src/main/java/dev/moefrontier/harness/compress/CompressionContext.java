package dev.moefrontier.harness.compress;

import dev.moefrontier.harness.calib.CalibrationData;
import dev.moefrontier.harness.calib.CalibrationStats;
import dev.moefrontier.harness.calib.Calibrator;
import dev.moefrontier.harness.model.ModelConfig;
import dev.moefrontier.harness.model.MoeTransformer;
import java.util.Objects;
import java.util.function.Consumer;

/** What a compressor works from: the loaded model, calibration windows and statistics, a seed, and a log. */
public final class CompressionContext {
    private final MoeTransformer model;
    private final CalibrationData data;
    private final CalibrationStats stats;
    private final Calibrator calibrator;
    private final long seed;
    private final Consumer<String> log;

    private CompressionContext(Builder b) {
        this.model = Objects.requireNonNull(b.model, "setModel is required");
        this.data = b.data;
        this.stats = b.stats;
        this.calibrator = b.calibrator != null ? b.calibrator : new Calibrator(null, 8192, b.log);
        this.seed = b.seed;
        this.log = b.log;
    }

    public static Builder builder() {
        return new Builder();
    }

    public MoeTransformer model() {
        return model;
    }

    public ModelConfig config() {
        return model.config();
    }

    /** Calibration windows; an error when the compressor needs them and none were given. */
    public CalibrationData data() {
        if (data == null) {
            throw new IllegalArgumentException("this compressor needs calibration data (--calibration FILE)");
        }
        return data;
    }

    public boolean hasData() {
        return data != null;
    }

    /** Whether calibration statistics were collected. */
    public boolean hasStats() {
        return stats != null;
    }

    /** Statistics of the dense model over {@link #data()}. */
    public CalibrationStats stats() {
        if (stats == null) {
            throw new IllegalArgumentException("this compressor needs calibration statistics (--calibration FILE)");
        }
        return stats;
    }

    /**
     * Statistics holding every one of {@code needed}: the context's own when they do, else collected by the calibrator
     * (from its disk cache when it has them), so a compressor also works from a context made for other compressors.
     */
    public CalibrationStats stats(java.util.Collection<? extends dev.moefrontier.harness.spi.CalibrationStatistic> needed) {
        if (stats != null && needed.stream().allMatch(stats::has)) {
            return stats;
        }
        return calibrator.stats(model, data(), needed);
    }

    /** Runs further calibration passes (e.g. on a partly compressed model). */
    public Calibrator calibrator() {
        return calibrator;
    }

    public long seed() {
        return seed;
    }

    public Consumer<String> log() {
        return log;
    }

    /** Experts pruned per layer at {@code ratio} (methods.md §1). */
    public int pruneCount(double ratio) {
        return Budget.pruneCount(ratio, config().moe().numExperts(), config().moe().topK());
    }

    /** A copy with other statistics. */
    public CompressionContext withStats(CalibrationStats s) {
        return builder().setModel(model).optData(data).optStats(s).optCalibrator(calibrator).optSeed(seed).optLog(log).build();
    }

    /** {@code set*} for required settings, {@code opt*} for optional ones. */
    public static final class Builder {
        private MoeTransformer model;
        private CalibrationData data;
        private CalibrationStats stats;
        private Calibrator calibrator;
        private long seed;
        private Consumer<String> log = s -> { };

        public Builder setModel(MoeTransformer m) {
            this.model = m;
            return this;
        }

        public Builder optData(CalibrationData d) {
            this.data = d;
            return this;
        }

        public Builder optStats(CalibrationStats s) {
            this.stats = s;
            return this;
        }

        public Builder optCalibrator(Calibrator c) {
            this.calibrator = c;
            return this;
        }

        public Builder optSeed(long s) {
            this.seed = s;
            return this;
        }

        public Builder optLog(Consumer<String> l) {
            this.log = l;
            return this;
        }

        public CompressionContext build() {
            return new CompressionContext(this);
        }
    }
}
