package dev.moefrontier.compressors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.moefrontier.harness.io.SafetensorsFile;
import dev.moefrontier.harness.testing.Cli;
import dev.moefrontier.harness.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code frontier list / scores / compress} end to end on a conformance model. */
class CompressCliTest {
    static final Path MODEL = Fixtures.conformance("olmoe-a");
    static final String IDS = MODEL.resolve("inputs.json").toString();

    @TempDir
    Path tmp;

    @Test
    void listShowsEveryCompressorAndTheHybridPattern() {
        Cli.Result r = Cli.run("list", "compressors");
        assertEquals(0, r.status(), r.err());
        for (String n : List.of("aimer", "ean", "frequency", "hc-smoe", "m-smoe", "man", "msan", "random", "reap", "soft-frequency", "wanda")) {
            assertTrue(r.out().contains("\n" + n + " "), n + " listed");
        }
        assertTrue(r.out().contains("X+wanda") && r.out().contains("--option alpha=1 (int in [0, 2])"), r.out());
    }

    @Test
    void scoresCsvRanksAgreeWithThePlans() throws IOException {
        Path out = tmp.resolve("scores.csv");
        Cli.Result r = Cli.run("scores", "--model", MODEL.toString(), "--calibration", IDS, "--no-cache", "--out", out.toString(),
                "--criteria", "frequency,reap,aimer");
        assertEquals(0, r.status(), r.err());
        List<String> lines = Files.readAllLines(out);
        assertEquals("backbone,compressor,options,layer,expert,score,rank,tokens", lines.get(0), "the sweeps' scores.csv schema");
        List<Map<String, String>> rows = dev.moefrontier.harness.util.Csv.parse(Files.readString(out));
        assertEquals(2 * 8 * 3, rows.size(), "layers x experts x criteria rows");
        Map<String, Integer> frequency = new HashMap<>();
        for (Map<String, String> f : rows) {
            int rank = Integer.parseInt(f.get("rank"));
            assertTrue(rank >= 1 && rank <= 8);
            assertEquals(MODEL.getFileName().toString(), f.get("backbone"));
            if (f.get("compressor").equals("frequency")) {
                assertEquals(Double.parseDouble(f.get("score")), Double.parseDouble(f.get("tokens")), 0.0, "frequency score = routed tokens");
                frequency.put(f.get("layer") + ":" + f.get("expert"), rank);
            }
        }
        // Golden pruned set of layer 0 at ratio 0.5 (fixtures/scores/olmoe-a): ranks 5..8 are pruned.
        for (int e : new int[] {0, 1, 2, 5}) {
            assertTrue(frequency.get("0:" + e) > 4, "expert " + e + " is among the pruned");
        }
        JsonObject prov = JsonParser.parseString(Files.readString(Path.of(out + ".provenance.json"))).getAsJsonObject();
        assertTrue(prov.has("git_commit") && prov.get("calibration").getAsString().startsWith("ids:"));
    }

    @Test
    void compressExportsAReloadableRedirectCheckpoint() throws IOException {
        Path out = tmp.resolve("m-smoe");
        Cli.Result r = Cli.run("compress", "--model", MODEL.toString(), "--compressor", "m-smoe", "--ratio", "0.5",
                "--calibration", IDS, "--no-cache", "--out", out.toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("keeps 4 of 8 experts per layer"), r.out());
        JsonObject cfg = JsonParser.parseString(Files.readString(out.resolve("config.json"))).getAsJsonObject();
        assertEquals(4, cfg.get("num_experts").getAsInt());
        JsonObject plan = JsonParser.parseString(Files.readString(out.resolve("pruning_plan.json"))).getAsJsonObject();
        assertEquals("redirect", plan.get("mode").getAsString());
        assertTrue(plan.getAsJsonObject("export").getAsJsonObject("provenance").has("git_commit"));
        Path fwd = tmp.resolve("fwd.safetensors");
        Cli.Result f = Cli.run("forward", "--model", out.toString(), "--inputs", IDS, "--out", fwd.toString());
        assertEquals(0, f.status(), f.err());
        assertTrue(f.err().contains("applying the redirect plan"), f.err());
        try (SafetensorsFile s = SafetensorsFile.open(fwd)) {
            float[] idx = s.readFloats(s.tensors().get("topk_idx.0.0"));
            for (float x : idx) {
                assertTrue(x >= 0 && x < 4, "redirected into the 4 kept experts");
            }
            assertTrue(s.tensors().get("router_logits.0.0").hasShape(7, 8), "the original router over all 8 experts");
        }
    }

    @Test
    void badRequestsFailBeforeAnyWork() throws IOException {
        Path out = tmp.resolve("never");
        String[][] bad = {
            {"--compressor", "reap", "--ratio", "1.5", "--calibration", IDS},
            {"--compressor", "reap", "--ratio", "0.9", "--calibration", IDS},
            {"--compressor", "reap", "--ratio", "0.5"},
            {"--compressor", "reap", "--ratio", "0.5", "--option", "gamma=1", "--calibration", IDS},
            {"--compressor", "wanda", "--ratio", "0.3", "--option", "wanda.pattern=2:4", "--calibration", IDS},
            {"--compressor", "nope", "--ratio", "0.5"},
            {"--compressor", "reap", "--ratio", "0.5", "--calibration", tmp.resolve("missing.json").toString()},
        };
        for (String[] args : bad) {
            String[] full = new String[args.length + 6];
            full[0] = "compress";
            full[1] = "--model";
            full[2] = MODEL.toString();
            System.arraycopy(args, 0, full, 3, args.length);
            full[args.length + 3] = "--out";
            full[args.length + 4] = out.toString();
            full[args.length + 5] = "--no-cache";
            Cli.Result r = Cli.run(full);
            assertEquals(1, r.status(), String.join(" ", args) + ": " + r.err());
            assertTrue(r.err().startsWith("frontier: error: ") && r.err().strip().split("\n").length == 1, r.err());
            assertFalse(r.err().contains("calibration ["), "rejected before calibration: " + r.err());
            assertFalse(Files.exists(out), "no output for " + String.join(" ", args));
        }
        Files.createDirectories(out);
        Files.writeString(out.resolve("keep.txt"), "x");
        Cli.Result r = Cli.run("compress", "--model", MODEL.toString(), "--compressor", "aimer", "--ratio", "0.5", "--out", out.toString());
        assertEquals(1, r.status());
        assertTrue(r.err().contains("not an empty directory"), r.err());
    }
}
