package dev.moefrontier.harness.cli;

import dev.moefrontier.harness.calib.CalibrationData;
import dev.moefrontier.harness.calib.CalibrationSpec;
import dev.moefrontier.harness.calib.Calibrator;
import dev.moefrontier.harness.spi.CalibrationStatistic;
import dev.moefrontier.harness.compress.CompressionContext;
import dev.moefrontier.harness.io.CheckpointException;
import dev.moefrontier.harness.model.MoeTransformer;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Calibration options shared by commands that compress or score (a picocli mixin). */
public final class CalibrationOptions {
    @Option(names = "--calibration", paramLabel = "FILE",
            description = "Token ids (.json {\"input_ids\": [[...]]}, used as given) or a text corpus (.txt, blank-line separated"
                    + " documents; .jsonl with a 'text' field) tokenized with the model's tokenizer.json.")
    Path file;

    @Option(names = "--calib-count", defaultValue = "128", paramLabel = "N",
            description = "Windows drawn from a text corpus. Default: ${DEFAULT-VALUE}.")
    int count;

    @Option(names = "--calib-length", paramLabel = "T",
            description = "Tokens per window. Default: min(2048, the model's context).")
    Integer length;

    @Option(names = "--seed", defaultValue = "0", description = "Seed for window sampling and seeded compressors. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--cache", paramLabel = "DIR",
            description = "Calibration statistics cache (default: $FRONTIER_CACHE or ~/.cache/moe-frontier).")
    Path cache;

    @Option(names = "--no-cache", description = "Do not read or write the calibration cache.")
    boolean noCache;

    @Option(names = "--batch-tokens", defaultValue = "8192", paramLabel = "N",
            description = "Tokens per forward micro-batch during calibration. Default: ${DEFAULT-VALUE}.")
    int batchTokens;

    /** Checks what can be checked before a model is loaded. */
    public void validate(boolean required) {
        if (file == null) {
            if (required) {
                throw new Main.UserError("this needs calibration data: pass --calibration FILE");
            }
            return;
        }
        if (!Files.exists(file)) {
            throw CheckpointException.of(file, "no such file");
        }
        if (Files.isDirectory(file)) {
            throw CheckpointException.of(file, "is a directory; --calibration takes a file (.json token ids, .txt, .jsonl)");
        }
        spec(2048).kind();
        if (count < 1) {
            throw new Main.UserError("--calib-count must be at least 1 (got " + count + ")");
        }
        if (length != null && length < 2) {
            throw new Main.UserError("--calib-length must be at least 2 (got " + length + ")");
        }
        if (batchTokens < 1) {
            throw new Main.UserError("--batch-tokens must be positive");
        }
    }

    /** The spec for a model whose context is {@code context} tokens (the default window is min(2048, context)). */
    public CalibrationSpec spec(int context) {
        return new CalibrationSpec(file, count, length != null ? length : Math.min(2048, context), seed);
    }

    public long seed() {
        return seed;
    }

    public Calibrator calibrator() {
        Path dir = noCache ? null : cache != null ? cache : Calibrator.defaultCacheDir();
        return new Calibrator(dir, batchTokens, System.err::println);
    }

    /** A compression context: calibration data when given (and needed), statistics when {@code stats} is non-empty. */
    public CompressionContext context(MoeTransformer model, java.util.Collection<? extends CalibrationStatistic> stats,
            boolean needData) {
        Calibrator cal = calibrator();
        CompressionContext.Builder b = CompressionContext.builder().setModel(model).optCalibrator(cal).optSeed(seed)
                .optLog(System.err::println);
        if (file != null && (needData || !stats.isEmpty())) {
            CalibrationData data = CalibrationData.load(spec(model.config().maxPositions()), model);
            b.optData(data);
            if (!stats.isEmpty()) {
                b.optStats(cal.stats(model, data, stats));
            }
        }
        return b.build();
    }
}
