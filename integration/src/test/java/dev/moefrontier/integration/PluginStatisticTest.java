package dev.moefrontier.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.moefrontier.harness.calib.CalibrationData;
import dev.moefrontier.harness.calib.CalibrationSpec;
import dev.moefrontier.harness.calib.CalibrationStats;
import dev.moefrontier.harness.calib.Calibrator;
import dev.moefrontier.harness.model.ForwardDump;
import dev.moefrontier.harness.model.InputsFile;
import dev.moefrontier.harness.model.MoeTransformer;
import dev.moefrontier.harness.testing.Cli;
import dev.moefrontier.harness.testing.Fixtures;
import dev.moefrontier.harness.util.Progress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A third-party jar (this test jar) adds a compressor that needs a calibration statistic the harness does not know:
 * the statistic is collected in the calibration pass, cached in its own file, reused, and the plan is made from it.
 */
class PluginStatisticTest {
    static final Path MODEL = Fixtures.conformance("olmoe-a");

    @TempDir
    Path tmp;

    @Test
    void aPluginStatisticIsCollectedCachedAndPlannedFrom() throws IOException {
        Progress.quiet(true);
        Path ids = MODEL.resolve("inputs.json");
        Path cache = tmp.resolve("cache");
        Cli.Result first = Cli.run("compress", "--model", MODEL.toString(), "--compressor", "test-peak-gate", "--ratio", "0.5",
                "--calibration", ids.toString(), "--cache", cache.toString(), "--out", tmp.resolve("a").toString());
        assertEquals(0, first.status(), first.err());
        List<Path> files;
        try (Stream<Path> s = Files.walk(cache)) {
            files = s.filter(p -> p.getFileName().toString().endsWith(".test-peak-gate-v1.safetensors")).toList();
        }
        assertEquals(1, files.size(), "cached in a file of its own, keyed by name and version");
        assertFalse(first.err().contains("reusing cached statistic 'test-peak-gate'"), first.err());
        Cli.Result second = Cli.run("compress", "--model", MODEL.toString(), "--compressor", "test-peak-gate", "--ratio", "0.5",
                "--calibration", ids.toString(), "--cache", cache.toString(), "--out", tmp.resolve("b").toString());
        assertEquals(0, second.status(), second.err());
        assertTrue(second.err().contains("reusing cached statistic 'test-peak-gate'"), second.err());
        assertEquals(kept(tmp.resolve("a")), kept(tmp.resolve("b")));

        // The statistic equals the peak gate weight recomputed from the routing of each sequence run alone.
        try (MoeTransformer m = MoeTransformer.open(MODEL)) {
            CalibrationData data = CalibrationData.load(CalibrationSpec.tokenIds(ids), m);
            CalibrationStats st = new Calibrator(null, 4096, s -> { }).stats(m, data, Set.of(PeakGateStatistic.INSTANCE));
            Map<String, ForwardDump.Tensor> dump = ForwardDump.run(m, InputsFile.read(ids));
            int experts = m.config().moe().numExperts();
            for (int l : m.config().moeLayers()) {
                double[] want = new double[experts];
                for (int s = 0; dump.containsKey("topk_idx." + s + "." + l); s++) {
                    float[] idx = dump.get("topk_idx." + s + "." + l).data();
                    float[] w = dump.get("topk_weight." + s + "." + l).data();
                    for (int i = 0; i < idx.length; i++) {
                        want[(int) idx[i]] = Math.max(want[(int) idx[i]], w[i]);
                    }
                }
                double[] got = st.values(PeakGateStatistic.INSTANCE, l).get("peak");
                for (int e = 0; e < experts; e++) {
                    assertEquals(want[e], got[e], 1e-6, "layer " + l + " expert " + e);
                }
            }
        }
    }

    private static List<List<Integer>> kept(Path export) throws IOException {
        JsonObject plan = JsonParser.parseString(Files.readString(export.resolve("pruning_plan.json"))).getAsJsonObject();
        List<List<Integer>> out = new ArrayList<>();
        for (var l : plan.getAsJsonArray("layers")) {
            JsonArray k = l.getAsJsonObject().getAsJsonArray("kept");
            List<Integer> ks = new ArrayList<>();
            k.forEach(x -> ks.add(x.getAsInt()));
            out.add(ks);
        }
        return out;
    }
}
