package dev.moefrontier.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.moefrontier.harness.io.CheckpointException;
import dev.moefrontier.harness.io.DType;
import dev.moefrontier.harness.model.MoeTransformer;
import dev.moefrontier.harness.model.SyntheticCheckpoint;
import dev.moefrontier.harness.sweep.Cell;
import dev.moefrontier.harness.sweep.CellClaim;
import dev.moefrontier.harness.sweep.RunDirectory;
import dev.moefrontier.harness.sweep.SweepPlan;
import dev.moefrontier.harness.sweep.SweepRunner;
import dev.moefrontier.harness.sweep.SweepSpec;
import dev.moefrontier.harness.sweep.SweepValidator;
import dev.moefrontier.harness.testing.Cli;
import dev.moefrontier.harness.testing.WordTokenizer;
import dev.moefrontier.harness.util.Csv;
import dev.moefrontier.harness.util.Progress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Resumes that cannot keep stale results, specs checked whole before anything is written, one failing backbone
 * failing only its own group, and workers that split a group's cells by claiming them.
 */
class SweepIntegrityTest {
    @TempDir
    static Path tmp;
    static Path tiny;
    static Path calibration;

    @BeforeAll
    static void setUp() throws IOException {
        Progress.quiet(true);
        tiny = tmp.resolve("tiny");
        SyntheticCheckpoint.of("olmoe").layers(2).hidden(32).heads(4, 4, 8).experts(8, 2, 16).vocab(64).dtype(DType.F32).seed(4)
                .write(tiny);
        WordTokenizer.write(tiny, List.of("[UNK]", "the", "a", "of", "and", "to", "is", "in"));
        calibration = tmp.resolve("calibration.txt");
        Files.writeString(calibration, "the a of and to is in the a of and to is in\n\nof and to the a is in of and\n".repeat(20));
    }

    static String spec(String compressors, String tasks) {
        return "name: integrity\nseed: 1\nbackbones: [{name: tiny, path: " + tiny + "}]\n"
                + "calibration: {source: " + calibration + ", count: 4, length: 32, seed: 0}\n"
                + "compressors: " + compressors + "\nratios: [0.5]\ntasks: " + tasks + "\n";
    }

    static SweepPlan plan(String yaml, String name) throws IOException {
        Path f = tmp.resolve(name + ".yaml");
        Files.writeString(f, yaml);
        return SweepValidator.validate(SweepSpec.load(f));
    }

    static SweepRunner runner(List<String> log) {
        return new SweepRunner(MoeTransformer::open, tmp.resolve("cache"), log::add);
    }

    static List<Map<String, String>> frontier(Path run) throws IOException {
        return Csv.parse(Files.readString(run.resolve("frontier.csv")));
    }

    static Path result(Path run, String cell) {
        return run.resolve("cells/tiny").resolve(cell).resolve("result.json");
    }

    @Test
    void planStabilityComparesEachPlanWithItsRemakesOnFreshWindows() throws IOException {
        Path run = tmp.resolve("stability");
        runner(new ArrayList<>()).sweep(plan(spec("[frequency, random]", "[{name: mini_ppl, limit: 1}]") + "stability: {resamples: 2}\n",
                "stability"), run, false);
        List<Map<String, String>> rows = Csv.parse(Files.readString(run.resolve("stability.csv")));
        for (String comp : List.of("frequency", "random")) {
            List<Map<String, String>> mine = rows.stream().filter(r -> r.get("compressor").equals(comp)).toList();
            List<Map<String, String>> layers = mine.stream().filter(r -> !r.get("layer").equals("mean")).toList();
            assertTrue(!layers.isEmpty() && mine.size() == layers.size() + 1, comp + ": a row per MoE layer and a mean row: " + mine);
            double mean = layers.stream().mapToDouble(r -> Double.parseDouble(r.get("mean_jaccard"))).average().orElseThrow();
            Map<String, String> m = mine.get(mine.size() - 1);
            assertEquals(mean, Double.parseDouble(m.get("mean_jaccard")), 1e-12);
            for (Map<String, String> r : mine) {
                assertEquals("2", r.get("resamples"));
                double j = Double.parseDouble(r.get("mean_jaccard"));
                assertTrue(j >= Double.parseDouble(r.get("min_jaccard")) - 1e-12 && j <= 1 && j > 0, r.toString());
                if (comp.equals("random")) { // seeded by the compressor seed, not by the windows: the same plan every time
                    assertEquals(1.0, j, 0, r.toString());
                }
            }
        }
        assertTrue(Files.readString(run.resolve("report.html")).contains("stability.csv"), "linked from the report");
        // a token-id calibration file has fixed windows: refused before any work
        Path ids = tmp.resolve("ids.json");
        Files.writeString(ids, "{\"input_ids\": [[1, 2, 3, 4]]}");
        CheckpointException e = assertThrows(CheckpointException.class, () -> plan(spec("[frequency]", "[mini_ppl]")
                .replace("source: " + calibration, "source: " + ids) + "stability: {resamples: 2}\n", "stability-ids"));
        assertTrue(e.getMessage().contains("stability.resamples: the calibration source"), e.getMessage());
    }

    @Test
    void resumeRerunsChangedCellsAndRefusesAnotherSpecUnlessAllowed() throws IOException {
        Path run = tmp.resolve("resume");
        List<String> log = new ArrayList<>();
        SweepPlan one = plan(spec("[frequency]", "[{name: mini_ppl, limit: 1}]"), "one");
        runner(log).sweep(one, run, false);
        assertTrue(frontier(run).stream().anyMatch(r -> r.get("task").equals("mini_ppl") && r.get("compressor").equals("frequency")));
        FileTime before = Files.getLastModifiedTime(result(run, "frequency-r0.50"));
        List<String> nBefore = frontier(run).stream().filter(r -> r.get("metric").equals("ppl")).map(r -> r.get("n")).toList();

        // Same spec: nothing reruns.
        runner(log).sweep(one, run, true);
        assertEquals(before, Files.getLastModifiedTime(result(run, "frequency-r0.50")));

        // A task's limit changed: refused without --allow-spec-change, with the reason in one line.
        SweepPlan three = plan(spec("[frequency]", "[{name: mini_ppl, limit: 2}]"), "one");
        CheckpointException e = assertThrows(CheckpointException.class, () -> runner(log).sweep(three, run, true));
        assertTrue(e.getMessage().contains("different spec (changed: tasks)") && e.getMessage().contains("--allow-spec-change"),
                e.getMessage());
        log.clear();
        runner(log).sweep(three, run, true, true);
        assertNotEquals(before, Files.getLastModifiedTime(result(run, "frequency-r0.50")), "the changed cell reran");
        assertTrue(log.stream().anyMatch(s -> s.contains("frequency-r0.50: its definition changed")), log.toString());
        List<String> nAfter = frontier(run).stream().filter(r -> r.get("metric").equals("ppl")).map(r -> r.get("n")).toList();
        assertEquals(nBefore.size(), nAfter.size());
        for (int i = 0; i < nAfter.size(); i++) {
            assertTrue(Integer.parseInt(nAfter.get(i)) > Integer.parseInt(nBefore.get(i)), "every row has the new limit: " + nBefore
                    + " -> " + nAfter);
        }

        // The calibration file's content changed under the same spec text: cells rerun although the spec did not change.
        FileTime mid = Files.getLastModifiedTime(result(run, "frequency-r0.50"));
        String cal = Files.readString(calibration);
        try {
            Files.writeString(calibration, cal.replace("the a of", "of the a"));
            log.clear();
            runner(log).sweep(three, run, true);
            assertNotEquals(mid, Files.getLastModifiedTime(result(run, "frequency-r0.50")));
        } finally {
            Files.writeString(calibration, cal);
        }

        // Another compressor list: the old cells are set aside and frontier.csv never mixes the two specs.
        SweepPlan reap = plan(spec("[reap]", "[{name: mini_ppl, limit: 2}]"), "one");
        runner(log).sweep(reap, run, true, true);
        List<Map<String, String>> rows = frontier(run);
        assertTrue(rows.stream().noneMatch(r -> r.get("compressor").equals("frequency")), rows.toString());
        assertTrue(rows.stream().anyMatch(r -> r.get("compressor").equals("reap")));
        assertFalse(Files.exists(run.resolve("cells/tiny/frequency-r0.50")));
        try (Stream<Path> s = Files.walk(run.resolve("superseded"))) {
            assertTrue(s.anyMatch(p -> p.getFileName().toString().equals("frequency-r0.50")), "set aside, not deleted");
        }
    }

    @Test
    void aPluginStatisticRunsThroughASweepAndKeysItsCells() throws IOException {
        Path run = tmp.resolve("plugin");
        runner(new ArrayList<>()).sweep(plan(spec("[test-peak-gate]", "[{name: mini_ppl, limit: 1}]"), "plugin"), run, false);
        assertTrue(frontier(run).stream().anyMatch(r -> r.get("compressor").equals("test-peak-gate")), "the plug-in's cell ran");
        try (Stream<Path> s = Files.walk(tmp.resolve("cache"))) {
            assertTrue(s.anyMatch(p -> p.getFileName().toString().endsWith(".test-peak-gate-v1.safetensors")), "cached by the sweep");
        }
        // Its analyzer's own table is collected into the run folder and linked from the report.
        List<Map<String, String>> table = Csv.parse(Files.readString(run.resolve("peak_gate.csv")));
        assertEquals(2 * 8, table.size(), "layers x experts");
        assertTrue(Files.readString(run.resolve("report.html")).contains("href=\"peak_gate.csv\""));
    }

    @Test
    void outMustBeEmptyOrAResumedRun() throws IOException {
        Path out = tmp.resolve("unrelated");
        Files.createDirectories(out);
        Files.writeString(out.resolve("notes.txt"), "mine");
        Path f = tmp.resolve("out-spec.yaml");
        Files.writeString(f, spec("[frequency]", "[{name: mini_ppl, limit: 1}]"));
        Cli.Result r = Cli.run("sweep", f.toString(), "--out", out.toString());
        assertEquals(1, r.status(), r.err());
        assertTrue(r.err().contains("is not empty") && r.err().contains("notes.txt"), r.err());
        try (Stream<Path> s = Files.list(out)) {
            assertEquals(1, s.count(), "nothing written next to the user's files");
        }
    }

    @Test
    void wholeSpecIsCheckedBeforeAnythingIsWritten() throws IOException {
        // The same compressor twice, once spelled with its default options.
        CheckpointException dup = assertThrows(CheckpointException.class,
                () -> plan(spec("[reap, {name: reap, options: {alpha: 1}}]", "[mini_mc]"), "dup"));
        assertTrue(dup.getMessage().contains("repeats 'reap'"), dup.getMessage());

        // A malformed calibration line is found by the validator, naming the file and line; no manifest is left.
        Path bad = tmp.resolve("bad-calibration.jsonl");
        Files.writeString(bad, "{\"text\": \"the a of and\"}\n{\"text\": \"unterminated\n");
        Path f = tmp.resolve("bad-cal.yaml");
        Files.writeString(f, spec("[frequency]", "[mini_mc]").replace("source: " + calibration, "source: " + bad));
        Path out = tmp.resolve("bad-cal-run");
        Cli.Result r = Cli.run("sweep", f.toString(), "--out", out.toString());
        assertEquals(1, r.status(), r.err());
        assertTrue(r.err().contains(bad.toString()) && r.err().contains("line 2"), r.err());
        assertFalse(Files.exists(out), "nothing written");

        // Calibration windows longer than a backbone's context.
        CheckpointException ctx = assertThrows(CheckpointException.class,
                () -> plan(spec("[frequency]", "[mini_mc]").replace("length: 32", "length: 5000"), "ctx"));
        assertTrue(ctx.getMessage().contains("longer than the model's context of 4096"), ctx.getMessage());
    }

    @Test
    void aCorruptBackboneFailsItsGroupAndTheOthersRun() throws IOException {
        Path broken = tmp.resolve("broken");
        Files.createDirectories(broken);
        Files.copy(tiny.resolve("config.json"), broken.resolve("config.json"));
        Files.copy(tiny.resolve("tokenizer.json"), broken.resolve("tokenizer.json"));
        byte[] st = Files.readAllBytes(tiny.resolve("model.safetensors"));
        Files.write(broken.resolve("model.safetensors"), java.util.Arrays.copyOf(st, st.length / 2)); // truncated
        String yaml = spec("[frequency]", "[{name: mini_ppl, limit: 1}]")
                .replace("backbones: [{name: tiny, path: " + tiny + "}]",
                        "backbones: [{name: broken, path: " + broken + "}, {name: tiny, path: " + tiny + "}]");
        Path run = tmp.resolve("corrupt");
        runner(new ArrayList<>()).sweep(plan(yaml, "corrupt"), run, false);
        List<dev.moefrontier.harness.sweep.CellError> errors = new RunDirectory(run).errors();
        assertEquals(2, errors.size(), "dense and frequency of the broken backbone: " + errors);
        for (dev.moefrontier.harness.sweep.CellError e : errors) {
            assertEquals("broken", e.backbone());
            assertTrue(e.error().startsWith("backbone broken failed: "), e.toString());
        }
        assertTrue(frontier(run).stream().anyMatch(r -> r.get("backbone").equals("tiny")), "the other backbone ran");
        assertTrue(Files.readString(run.resolve("report.html")).contains("backbone broken failed"));
    }

    @Test
    void aSecondWorkerLeavesClaimedCellsAndDeadClaimsExpire() throws IOException, InterruptedException {
        Path cell = tmp.resolve("claims/cell");
        try (CellClaim a = CellClaim.tryClaim(cell)) {
            assertNotNull(a);
            assertNull(CellClaim.tryClaim(cell), "held by a live worker");
        }
        assertFalse(Files.exists(cell.resolve("claim.json")), "released");

        // A claim written by a process that has exited is taken over at once.
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-version")
                .redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        p.waitFor();
        Files.writeString(cell.resolve("claim.json"), "{\"host\": \"" + java.net.InetAddress.getLocalHost().getHostName()
                + "\", \"pid\": " + p.pid() + "}");
        try (CellClaim dead = CellClaim.tryClaim(cell)) {
            assertNotNull(dead, "a dead worker's claim is taken over");
        }
        // A claim from another host whose heartbeat is older than the lease has expired.
        Files.writeString(cell.resolve("claim.json"), "{\"host\": \"elsewhere\", \"pid\": 1}");
        assertNull(CellClaim.tryClaim(cell), "fresh claim from another host: live");
        Files.setLastModifiedTime(cell.resolve("claim.json"), FileTime.from(Instant.now().minus(CellClaim.LEASE).minusSeconds(5)));
        try (CellClaim expired = CellClaim.tryClaim(cell)) {
            assertNotNull(expired, "expired lease is taken over");
        }

        // In a sweep: a cell claimed by another live worker is left to it; resuming after it is gone runs it.
        SweepPlan plan = plan(spec("[frequency]", "[{name: mini_ppl, limit: 1}]"), "claims");
        Path run = tmp.resolve("claimed-run");
        SweepRunner.prepare(plan, run, false, false, s -> { });
        Cell freq = plan.groups().get(0).cells().stream().filter(c -> c.compressor().equals("frequency")).findFirst().orElseThrow();
        Path dir = new RunDirectory(run).cellDir(freq);
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("claim.json"), "{\"host\": \"elsewhere\", \"pid\": 1}");
        var outcome = runner(new ArrayList<>()).runGroup(plan, 0, run, true);
        assertEquals(1, outcome.elsewhere());
        assertEquals(1, outcome.done(), "the dense cell");
        assertFalse(Files.exists(dir.resolve("result.json")), "the claimed cell was not computed twice");
        Files.delete(dir.resolve("claim.json"));
        var second = runner(new ArrayList<>()).runGroup(plan, 0, run, true);
        assertEquals(1, second.done());
        assertEquals(1, second.skipped());
        assertTrue(Files.exists(dir.resolve("result.json")));
    }
}
