package dev.moefrontier.harness.cli;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.moefrontier.harness.io.SafetensorsFile;
import dev.moefrontier.harness.io.TensorInfo;
import dev.moefrontier.harness.model.BundledModels;
import dev.moefrontier.harness.model.ForwardDump;
import dev.moefrontier.harness.model.InputsFile;
import dev.moefrontier.harness.model.MoeTransformer;
import dev.moefrontier.harness.runtime.Engines;
import dev.moefrontier.harness.runtime.NumericEnvironment;
import dev.moefrontier.harness.runtime.Numerics;
import dev.moefrontier.harness.util.Provenance;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code frontier doctor}. */
@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = {
            "Check the installation (Java, DJL, PyTorch, numerics, devices, threads, a golden forward).",
            "Prints Java, DJL and PyTorch versions, devices, thread counts and the cache directory, times a matmul,",
            "shows the numerics in force (ATen kernels, MKL branch, threads) with a canary hash of fixed kernels, and checks a",
            "forward of the bundled tiny model against its golden outputs. Exit 1 if the forward differs, or if the canary of",
            "the reproducible mode differs from the references' value."
        })
final class DoctorCommand implements Callable<Integer> {
    @picocli.CommandLine.Option(names = "--numerics-json",
            description = "Print only the numeric environment in force, as JSON (what runs record), and exit.")
    boolean numericsJson;

    @Override
    public Integer call() {
        Engine e = Engines.pytorch();
        if (numericsJson) {
            System.out.println(new com.google.gson.GsonBuilder().setPrettyPrinting().serializeNulls().create()
                    .toJson(Numerics.environment().toJson()));
            return 0;
        }
        Runtime rt = Runtime.getRuntime();
        row("MoE Frontier", Provenance.version() + " (git " + Provenance.gitCommit() + ")");
        row("Java", System.getProperty("java.version") + " " + System.getProperty("java.vendor") + ", max heap "
                + gib(rt.maxMemory()));
        row("DJL", Provenance.djlVersion() + ", offline mode " + (ai.djl.util.Utils.isOfflineMode() ? "on" : "OFF")
                + ", telemetry " + (Boolean.parseBoolean(ai.djl.util.Utils.getEnvOrSystemProperty("OPT_OUT_TRACKING"))
                        ? "opted out" : "NOT opted out"));
        row("PyTorch", e.getVersion() + " (" + e.getEngineName() + " engine)");
        row("Devices", "cpu" + (e.getGpuCount() > 0 ? ", " + e.getGpuCount() + " GPU(s)" : " (no GPU visible)"));
        row("Threads", "intra-op " + JniUtils.getNumThreads() + ", inter-op " + JniUtils.getNumInteropThreads()
                + " (" + rt.availableProcessors() + " cores available)");
        NumericEnvironment ne = Numerics.environment();
        row("Numerics", ne.mode().id() + ": ATen " + ne.atenCapability() + " kernels (CPU offers " + ne.cpuIsa() + "), MKL CBWR "
                + ne.mklBranch() + ", " + ne.intraOpThreads() + " intra-op threads, deterministic algorithms "
                + (Boolean.TRUE.equals(ne.deterministicAlgorithms()) ? "on" : "off"));
        row("CPU", ne.cpuModel() + " (" + ne.cpuVendor() + ")");
        row("BLAS", String.valueOf(ne.toMap().get("blas")) + "; oneDNN " + ne.onednnVersion());
        if (!ne.overridden().isEmpty()) {
            row("Overridden", ne.overridden().toString() + " (by the reproducible mode)");
        }
        boolean canaryOk = ne.mode() == Numerics.Mode.FAST || ne.matchesReference();
        row("Canary", ne.canary() + (ne.mode() == Numerics.Mode.FAST ? " (fast mode: machine-dependent)"
                : ne.matchesReference() ? " (matches the references' reproducible value)"
                        : " (DIFFERS from the references' " + NumericEnvironment.REFERENCE_CANARY + ": results here may not match them)"));
        row("Cache", ai.djl.util.Utils.getEngineCacheDir().toString());
        try (NDManager m = Engines.manager(ai.djl.Device.cpu())) {
            NDArray a = m.randomNormal(new Shape(512, 512));
            a.matMul(a).toFloatArray();
            long t0 = System.nanoTime();
            int reps = 10;
            for (int i = 0; i < reps; i++) {
                a.matMul(a).toFloatArray();
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            row("Matmul", String.format("512x512x512 float32: %.1f GFLOP/s", reps * 2.0 * 512 * 512 * 512 / secs / 1e9));
        }
        Path tiny = BundledModels.path(BundledModels.TINY_OLMOE);
        double worst = 0;
        try (MoeTransformer model = MoeTransformer.open(tiny);
                SafetensorsFile expected = SafetensorsFile.open(tiny.resolve("expected.safetensors"))) {
            Map<String, ForwardDump.Tensor> got = ForwardDump.run(model, InputsFile.read(tiny.resolve("inputs.json")));
            for (TensorInfo t : expected.tensors().values()) {
                float[] want = expected.readFloats(t);
                float[] have = got.get(t.name()).data();
                for (int i = 0; i < want.length; i++) {
                    worst = Math.max(worst, Math.abs(want[i] - have[i]));
                }
            }
        }
        boolean ok = worst <= 2e-4;
        row("Conformance", String.format("tiny OLMoE vs golden forward: max |diff| %.2g %s", worst, ok ? "(OK)" : "(FAILED, tolerance 2e-4)"));
        return ok && canaryOk ? 0 : 1;
    }

    private static void row(String k, String v) {
        System.out.printf("%-13s %s%n", k, v);
    }

    private static String gib(long bytes) {
        return String.format("%.1f GiB", bytes / (double) (1L << 30));
    }
}
