package dev.moefrontier.harness.sweep;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.moefrontier.harness.compress.ExpertMerge;
import dev.moefrontier.harness.compress.LayerPlan;
import dev.moefrontier.harness.compress.MaskSpec;
import dev.moefrontier.harness.compress.PlanFigures;
import dev.moefrontier.harness.compress.PruningPlan;
import dev.moefrontier.harness.io.CheckpointException;
import dev.moefrontier.harness.model.ModelConfig;
import dev.moefrontier.harness.testing.Fixtures;
import dev.moefrontier.harness.util.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Our own JSON formats are records bound by {@link Json}: keys, their order, and round trips. */
class JsonFormatsTest {
    @TempDir
    Path tmp;

    private static PruningPlan plan() {
        LayerPlan l0 = LayerPlan.of(0, 8, new int[] {0, 2, 3, 5, 6, 7}, new int[] {0, 0, 2, 3, 2, 5, 6, 7},
                List.of(new ExpertMerge(0, new int[] {0, 1}, new double[] {0.25, 0.75})));
        LayerPlan l1 = LayerPlan.keep(1, 8, new int[] {1, 2, 3, 4, 5, 6});
        return new PruningPlan("test", Map.of("b", "2", "a", "1"), 0.25, PruningPlan.Mode.REDIRECT, List.of(l1, l0),
                MaskSpec.of("wanda", "2:4", 0.5, true, "keep"), Map.of("note", "x=<1>"))
                .withMargins(Map.of(0, 1.5e-4, 1, Double.NaN))
                .withFigures(PlanFigures.builder().number("r1", 0.125).layer("tau_star", 1, 0.5).layer("tau_star", 0, Double.NaN).build());
    }

    @Test
    void aPlanRoundTripsWithItsKeysInOrder() throws Exception {
        ModelConfig cfg = ModelConfig.load(Fixtures.conformance("olmoe-a"));
        PruningPlan p = plan();
        String text = p.toJsonString(cfg);
        JsonObject o = JsonParser.parseString(text).getAsJsonObject();
        assertEquals(List.of("format", "version", "compressor", "options", "ratio", "mode", "model", "accounting", "masks", "info",
                "figures", "layers"), List.copyOf(o.keySet()));
        assertEquals(List.of("expert_ratio", "weight_sparsity", "moe_params", "removed_moe_params", "compression", "total_params",
                "removed_total_fraction"), List.copyOf(o.getAsJsonObject("accounting").keySet()));
        assertEquals("{\"model_type\":\"olmoe\",\"num_experts\":8,\"top_k\":2}", o.get("model").toString());
        assertEquals("{\"method\":\"wanda\",\"pattern\":\"2:4\",\"sparsity\":0.5,\"sequential\":true,\"empty_experts\":\"keep\"}",
                o.get("masks").toString());
        JsonObject layer0 = o.getAsJsonArray("layers").get(0).getAsJsonObject();
        assertEquals(List.of("layer", "kept", "pruned", "redirect", "merges", "margin"), List.copyOf(layer0.keySet()));
        assertEquals("{\"1\":0,\"4\":2}", layer0.get("redirect").toString());
        assertTrue(text.contains("\"note\": \"x=<1>\""), "no HTML escaping");
        assertTrue(text.contains("\"0\": NaN"), "non-finite figures are kept: " + text);
        assertTrue(!o.getAsJsonArray("layers").get(1).getAsJsonObject().has("margin"), "a NaN margin is not recorded");

        Path f = tmp.resolve("pruning_plan.json");
        Files.writeString(f, text);
        PruningPlan back = PruningPlan.read(f);
        assertEquals(text, back.toJsonString(cfg), "read back, written again: the same bytes");
        assertEquals(p.options(), back.options());
        assertArrayEquals(p.layer(0).redirect(), back.layer(0).redirect());
        assertArrayEquals(p.layer(0).merges().get(0).weights(), back.layer(0).merges().get(0).weights());
        assertEquals(p.figures().numbers(), back.figures().numbers());
        assertEquals(p.margins(), back.margins());
    }

    @Test
    void aFileThatIsNotAPlanIsOneLineNamingIt() throws Exception {
        ModelConfig cfg = ModelConfig.load(Fixtures.conformance("olmoe-a"));
        String good = plan().toJsonString(cfg);
        Map<String, String> broken = Map.of(
                "format", good.replace("moe-frontier/pruning-plan", "something-else"),
                "layers", good.replaceFirst("\"layers\"", "\"strata\""),
                "kept", good.replaceFirst("\"kept\"", "\"held\""),
                "redirect", good.replace("\"4\": 2", "\"40\": 2"),
                "syntax", good.substring(0, good.length() / 2),
                "type", good.replace("\"version\": 1", "\"version\": \"one\""));
        for (Map.Entry<String, String> e : broken.entrySet()) {
            Path f = tmp.resolve(e.getKey() + ".json");
            Files.writeString(f, e.getValue());
            CheckpointException x = assertThrows(CheckpointException.class, () -> PruningPlan.read(f), e.getKey());
            assertTrue(x.getMessage().contains(f.toString()) && x.getMessage().contains("not a pruning plan")
                    && !x.getMessage().contains("\n"), e.getKey() + ": " + x.getMessage());
        }
    }

    @Test
    void aCellResultRoundTripsWithNonFiniteStandardErrors() {
        Cell c = new Cell("mini", "test", Map.of("k", "v"), 0.5);
        CellResult r = new CellResult(c, 0.5, 0.48, Map.of("stage1", "reap"), PlanFigures.builder().number("r2", 0.1).build(),
                List.of(new CellResult.Metric("mini_ppl", "ppl", 3.25, Double.NaN, 4, false),
                        new CellResult.Metric("mini_mc", "acc", 0.5, 0.05, 100, true)),
                Map.of("mini_ppl", "ppl"), 7, "calib x", 1.5);
        JsonObject o = Json.tree(r.document()).getAsJsonObject();
        assertEquals(List.of("cell", "expert_ratio", "compression", "info", "figures", "metrics", "headlines", "seed", "calibration",
                "elapsed_s"), List.copyOf(o.keySet()));
        assertEquals(c.id(), o.getAsJsonObject("cell").get("id").getAsString());
        assertEquals(List.of("task", "metric", "value", "stderr", "n", "higher_is_better"),
                List.copyOf(o.getAsJsonArray("metrics").get(0).getAsJsonObject().keySet()));
        CellResult back = CellResult.of(Json.bind(Json.pretty(r.document()), CellResult.Document.class));
        assertEquals(r, back);
        assertTrue(Double.isNaN(back.metrics().get(0).stderr()));
    }

    @Test
    void aManifestWithoutFingerprintsReadsAsNone() throws Exception {
        Path run = tmp.resolve("run");
        Files.createDirectories(run);
        Files.writeString(run.resolve("manifest.json"), "{\"cells\": 3}");
        assertEquals(null, new RunDirectory(run).expectedFingerprints());
        Files.writeString(run.resolve("manifest.json"), "{\"cells\": [1, 2]}");
        CheckpointException e = assertThrows(CheckpointException.class, () -> new RunDirectory(run).expectedFingerprints());
        assertTrue(e.getMessage().contains("manifest.json") && e.getMessage().contains("not a run manifest"), e.getMessage());
    }
}
