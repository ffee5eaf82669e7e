package dev.moefrontier.compressors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.moefrontier.harness.calib.RoutingStatistics;
import dev.moefrontier.harness.compress.AppliedPlan;
import dev.moefrontier.harness.compress.CompressionContext;
import dev.moefrontier.harness.compress.ExpertNorms;
import dev.moefrontier.harness.spi.ExpertScorer;
import dev.moefrontier.harness.compress.LayerPlan;
import dev.moefrontier.harness.compress.Options;
import dev.moefrontier.harness.compress.PruningPlan;
import dev.moefrontier.harness.io.SafetensorsFile;
import dev.moefrontier.harness.io.TensorInfo;
import dev.moefrontier.harness.model.LayerWeights;
import dev.moefrontier.harness.model.MoeTransformer;
import dev.moefrontier.harness.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Golden scores of methods.md §3 (fixtures/scores, README there): every criterion's per-expert scores to 1e-4
 * relative, the pruned sets at ratio 0.5 exactly, and unstructured Wanda masks at 0.5 exactly.
 */
class ScoresFixtureTest {
    static final List<String> CRITERIA = List.of("frequency", "soft-frequency", "ean", "man", "msan", "reap", "aimer");

    private static Path scores(String model) {
        return Fixtures.resource("/scores/" + model + "/scores.json").getParent();
    }

    @ParameterizedTest
    @ValueSource(strings = {"olmoe-a", "qwen2_moe-a", "qwen3_moe-a", "mixtral-a"})
    void scoresAndPrunedSetsMatch(String name) throws IOException {
        Path dir = Fixtures.conformance(name);
        JsonObject golden = JsonParser.parseString(Files.readString(scores(name).resolve("scores.json"))).getAsJsonObject();
        try (MoeTransformer model = MoeTransformer.open(dir)) {
            CompressionContext ctx = TestModels.context(model, dir.resolve("inputs.json"), java.util.List.of(RoutingStatistics.OUTPUT_NORMS));
            for (String criterion : CRITERIA) {
                ExpertScorer scorer = (ExpertScorer) TestModels.CATALOG.get(criterion);
                Options opts = Options.parse(criterion, scorer.options(), Map.of());
                Map<Integer, double[]> got = scorer.scores(ctx, opts);
                PruningPlan plan = scorer.plan(ctx, 0.5, opts);
                for (int l : model.config().moeLayers()) {
                    JsonArray want = golden.getAsJsonObject("scores").getAsJsonObject(Integer.toString(l)).getAsJsonArray(criterion);
                    double[] g = got.get(l);
                    for (int e = 0; e < want.size(); e++) {
                        double w = want.get(e).getAsDouble();
                        assertEquals(w, g[e], 1e-4 * Math.max(Math.abs(w), 1e-6), name + " layer " + l + " " + criterion + " expert " + e);
                    }
                    JsonArray pruned = golden.getAsJsonObject("pruned_at_ratio_0_5").getAsJsonObject(Integer.toString(l)).getAsJsonArray(criterion);
                    int[] wantPruned = new int[pruned.size()];
                    for (int i = 0; i < wantPruned.length; i++) {
                        wantPruned[i] = pruned.get(i).getAsInt();
                    }
                    assertArrayEquals(wantPruned, plan.layer(l).pruned(), name + " layer " + l + " " + criterion + " pruned set");
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"olmoe-a", "qwen2_moe-a", "qwen3_moe-a", "mixtral-a"})
    void wandaMasksMatch(String name) {
        Path dir = Fixtures.conformance(name);
        try (MoeTransformer model = MoeTransformer.open(dir);
                SafetensorsFile golden = SafetensorsFile.open(scores(name).resolve("wanda_mask.safetensors"));
                NDManager m = NDManager.newBaseManager()) {
            CompressionContext ctx = TestModels.context(model, dir.resolve("inputs.json"), java.util.List.of(WandaInputs.STATISTIC));
            var wanda = TestModels.CATALOG.get("wanda");
            PruningPlan plan = wanda.plan(ctx, 0.5, Options.parse("wanda", wanda.options(), Map.of("wanda.sequential", "false")));
            int compared = 0;
            for (int l : model.config().moeLayers()) {
                LayerPlan lp = plan.layer(l);
                LayerWeights w = model.weights().acquire(l);
                for (int e = 0; e < lp.numExperts(); e++) {
                    String base = "layers." + l + ".experts." + e + ".";
                    if (!golden.tensors().containsKey(base + "gate")) {
                        assertEquals(0, lp.masks().experts().get(e).tokens(), "fixture omits only experts without tokens");
                        continue;
                    }
                    ExpertNorms n = lp.masks().experts().get(e);
                    NDArray[] masked = AppliedPlan.mask(w.moe().gateUpT().get(e), w.moe().downT().get(e), n, plan.maskSpec(), m, null);
                    float[] gu = masked[0].transpose().toFloatArray(); // [2I, H]: gate rows, then up rows
                    float[] dn = masked[1].transpose().toFloatArray(); // [H, I]
                    float[] gate = Arrays.copyOfRange(gu, 0, gu.length / 2);
                    float[] up = Arrays.copyOfRange(gu, gu.length / 2, gu.length);
                    compare(golden, base + "gate", gate, name);
                    compare(golden, base + "up", up, name);
                    compare(golden, base + "down", dn, name);
                    compared++;
                }
            }
            assertTrue(compared > 0);
        }
    }

    /** A masked weight is zero exactly where the golden mask is 0 (the weights themselves are non-zero). */
    private static void compare(SafetensorsFile golden, String name, float[] masked, String model) {
        TensorInfo t = golden.tensors().get(name);
        float[] want = golden.readFloats(t);
        assertEquals(want.length, masked.length, name);
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i] == 1f, masked[i] != 0f, model + " " + name + " position " + i);
        }
    }
}
