package dev.moefrontier.integration;

import dev.moefrontier.integration.Procs.Proc;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.moefrontier.harness.cli.Main;
import dev.moefrontier.harness.model.SyntheticCheckpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bench scale --tiny} runs every stage of the real-scale pipeline in child processes and reports each one's own
 * figures; the HF-eager peer script agrees with the forward before it times anything.
 */
class ScaleBenchTest {
    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @TempDir
    Path tmp;

    Proc exec(List<String> cmd, Map<String, String> env, int timeoutSeconds) throws java.io.IOException, InterruptedException {
        return Procs.exec(cmd, env, timeoutSeconds, tmp);
    }

    @Test
    void everyStageRunsInItsOwnProcessAndReportsItsFigures() throws Exception {
        Path work = tmp.resolve("scale");
        Path table = tmp.resolve("scale.md");
        assertEquals(0, Main.execute("bench", "scale", "--tiny", "--work", work.toString(), "--out", table.toString(), "-q"));
        String md = Files.readString(table);
        for (String backbone : List.of("OLMoE-1B-7B", "Qwen3.5-35B-A3B")) {
            for (String stage : List.of("synthesize", "sequential read", "plain forward", "calibration statistics", "scores reap,frequency",
                    "AIMER", "local barriers", "full barriers", "compress REAP 50% + export", "eval mini_ppl")) {
                assertTrue(md.lines().anyMatch(l -> l.startsWith("| " + backbone) && l.contains(stage)), backbone + ": no row for " + stage + "\n" + md);
            }
        }
        assertTrue(md.contains("HodgeCover selection") && md.contains("plan --estimate") && md.contains("| Qwen3.5-122B-A10B |"), md);
        // Every FLOP-bound share is a fraction of the roofline in (0, 100]%.
        Matcher m = Pattern.compile("(\\d+)% of the FLOP bound").matcher(md);
        int shares = 0;
        while (m.find()) {
            int pct = Integer.parseInt(m.group(1));
            assertTrue(pct >= 0 && pct <= 100, "share " + pct + "%");
            shares++;
        }
        assertTrue(shares >= 12, "shares reported: " + shares);
        // Each child wrote its own peak RSS and wall time; the barrier children their merges and FLOP bound.
        try (Stream<Path> s = Files.list(work.resolve("logs"))) {
            List<Path> metrics = s.filter(p -> p.toString().endsWith(".metrics.json")).sorted().toList();
            assertEquals(19, metrics.size(), "metrics files (one per child: mini-data, 10 OLMoE stages, 8 Qwen3.5 stages)");
            for (Path p : metrics) {
                JsonObject o = JsonParser.parseString(Files.readString(p)).getAsJsonObject();
                assertTrue(o.get("peak_rss_bytes").getAsLong() > 10L << 20, p + ": " + o);
                assertTrue(o.get("wall_s").getAsDouble() > 0, p + ": " + o);
                if (p.getFileName().toString().contains("barriers-local") && p.getFileName().toString().contains("olmoe")) {
                    double merges = o.get("merges").getAsDouble(); // all 28 pairs, plus the candidate triangles (at most C(8,3))
                    assertTrue(merges > 28 && merges <= 28 + 56, p + ": " + o);
                    assertTrue(o.get("flop_bound").getAsDouble() > 0, p + ": " + o);
                }
            }
        }
    }

    /** The peer script's logits check against {@code frontier forward} (Debian's python3-torch, installed when missing). */
    @Test
    void hfEagerPeerProducesTheSameLogits() throws Exception {
        Proc py = exec(List.of(ROOT.resolve("scripts/peer/python-torch").toString()),
                Map.of(), 900);
        assertEquals(0, py.status(), "Debian's python3-torch must be importable (scripts/peer/python-torch installs it as root):\n" + py.out());
        String python = py.out().strip().lines().reduce((a, b) -> b).orElseThrow();
        Path model = tmp.resolve("olmoe");
        SyntheticCheckpoint.of("olmoe").layers(2).hidden(64).heads(4, 4, 16).experts(8, 2, 32).vocab(256).seed(5)
                .dtype(dev.moefrontier.harness.io.DType.BF16).write(model);
        String frontier = Path.of(System.getProperty("java.home"), "bin", "java") + " -cp " + System.getProperty("java.class.path") + " " + Main.class.getName();
        Proc p = exec(List.of(python, ROOT.resolve("scripts/peer/hf_eager_olmoe.py").toString(),
                "--model", model.toString(), "--frontier", frontier, "--batch", "1", "--seq-len", "16", "--reps", "1", "--rounds", "1",
                "--check-len", "24", "--tolerance", "1e-4"), Map.of(), 600);
        assertEquals(0, p.status(), p.out());
        Matcher diff = Pattern.compile("max \\|diff\\| ([0-9.e+-]+)").matcher(p.out());
        assertTrue(diff.find(), p.out());
        assertTrue(Double.parseDouble(diff.group(1)) <= 1e-4, p.out());
        assertTrue(Pattern.compile("ratio [0-9.]+x").matcher(p.out()).find(), p.out());
    }
}
