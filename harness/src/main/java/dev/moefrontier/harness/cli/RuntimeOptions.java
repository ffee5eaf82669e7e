package dev.moefrontier.harness.cli;

import ai.djl.Device;
import dev.moefrontier.harness.model.ModelWeights;
import dev.moefrontier.harness.model.MoeTransformer;
import dev.moefrontier.harness.runtime.Engines;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Options shared by commands that run a model (a picocli mixin). */
public final class RuntimeOptions {
    @Option(names = "--device", defaultValue = "auto", paramLabel = "DEV",
            description = "cpu, gpu, gpu:N or auto (first GPU if any). Default: ${DEFAULT-VALUE}.")
    String device;

    @Option(names = "--threads", paramLabel = "N",
            description = "PyTorch intra-op threads: fixed at 2 by the reproducible numerics; with --numerics fast, default"
                    + " PyTorch's choice (usually the core count).")
    Integer threads;

    @Option(names = "--residency", defaultValue = "auto", paramLabel = "MODE",
            description = "Layer weights: resident (kept), stream (loaded per layer, peak memory ~ one layer) or auto"
                    + " (resident when the float32 model fits in a quarter of RAM). Default: ${DEFAULT-VALUE}.")
    String residency;

    @Option(names = "--skip-weight-scan",
            description = "Do not scan the checkpoint's weights for NaN/Inf when opening it (the scan shares one pass with the"
                    + " content hash that keys every cache and is remembered per file; NaN/Inf met at run time is still an error).")
    boolean skipWeightScan;

    /** Applies thread settings (before the engine starts) and resolves the device. */
    public Device device() {
        Engines.threads(threads, null);
        return Engines.device(device);
    }

    /** The residency, or null for automatic. */
    public ModelWeights.Residency residency() {
        return switch (residency.toLowerCase(java.util.Locale.ROOT)) {
            case "auto" -> null;
            case "resident" -> ModelWeights.Residency.RESIDENT;
            case "stream" -> ModelWeights.Residency.STREAM;
            default -> throw new IllegalArgumentException("invalid --residency '" + residency + "' (auto, resident, stream)");
        };
    }

    /**
     * These options and the numerics mode in force as command-line arguments, so that a scheduled task runs as the
     * command that planned it.
     */
    public String asArguments() {
        StringBuilder sb = new StringBuilder("--numerics ").append(dev.moefrontier.harness.runtime.Numerics.mode().id());
        sb.append(" --device ").append(device).append(" --residency ").append(residency);
        if (threads != null) {
            sb.append(" --threads ").append(threads);
        }
        if (skipWeightScan) {
            sb.append(" --skip-weight-scan");
        }
        return sb.toString();
    }

    /** Opens a model with these options. */
    public MoeTransformer open(Path dir) {
        ModelWeights.Residency r = residency();
        return MoeTransformer.builder().setPath(dir).optDevice(device()).optResidency(r).optScanWeights(!skipWeightScan).build();
    }
}
