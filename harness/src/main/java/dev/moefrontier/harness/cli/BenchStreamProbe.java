package dev.moefrontier.harness.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.moefrontier.harness.model.ForwardObserver;
import dev.moefrontier.harness.model.ModelWeights;
import dev.moefrontier.harness.model.MoeTransformer;
import dev.moefrontier.harness.runtime.Engines;
import dev.moefrontier.harness.util.Memory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code frontier bench stream-probe}: measures one forward in this JVM; prints a JSON line. */
@Command(name = "stream-probe", hidden = true)
final class BenchStreamProbe implements Callable<Integer> {
    @Option(names = "--model", required = true)
    Path model;

    @Option(names = "--residency", required = true)
    String residency;

    @Override
    public Integer call() {
        Engines.pytorch();
        try (NDManager warm = Engines.manager(ai.djl.Device.cpu())) {
            warm.ones(new Shape(4, 4)).matMul(warm.ones(new Shape(4, 4))).toFloatArray(); // load natives first
        }
        long before = Memory.rss();
        Memory.resetPeak();
        long t0 = System.nanoTime();
        ModelWeights.Residency r = residency.equals("stream") ? ModelWeights.Residency.STREAM : ModelWeights.Residency.RESIDENT;
        float checksum = 0;
        try (MoeTransformer m = MoeTransformer.builder().setPath(model).optResidency(r).build();
                NDManager nd = Engines.manager(ai.djl.Device.cpu())) {
            int[] ids = new Random(1).ints(64, 0, m.config().vocabSize()).toArray();
            float[] logits = m.logits(ids, ForwardObserver.NONE, nd).toFloatArray();
            for (float f : logits) {
                checksum += f;
            }
        }
        JsonObject o = new JsonObject();
        o.addProperty("residency", residency);
        o.addProperty("rss_before_model", before);
        o.addProperty("peak_rss", Memory.peakRss());
        o.addProperty("max_heap", Runtime.getRuntime().maxMemory());
        o.addProperty("seconds", (System.nanoTime() - t0) / 1e9);
        o.addProperty("checksum", checksum);
        System.out.println(o);
        return 0;
    }

    /** Runs {@code bench stream-probe} in a fresh JVM and returns its JSON report. */
    static JsonObject probe(Path dir, String residency, int heapMb) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = List.of(java, "-Xmx" + heapMb + "m", "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "bench", "stream-probe", "--model", dir.toString(), "--residency", residency);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("DJL_OFFLINE", "true");
        pb.environment().put("OPT_OUT_TRACKING", "true");
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (p.waitFor() != 0) {
            throw new IllegalStateException("stream probe (" + residency + ") failed with status " + p.exitValue() + ": " + out);
        }
        String last = out.substring(out.lastIndexOf('\n') + 1);
        return JsonParser.parseString(last).getAsJsonObject();
    }
}
