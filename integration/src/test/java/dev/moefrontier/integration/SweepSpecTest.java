package dev.moefrontier.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.moefrontier.harness.io.CheckpointException;
import dev.moefrontier.harness.sweep.Cell;
import dev.moefrontier.harness.sweep.CellGroup;
import dev.moefrontier.harness.sweep.SweepPlan;
import dev.moefrontier.harness.sweep.SweepSpec;
import dev.moefrontier.harness.sweep.SweepValidator;
import dev.moefrontier.harness.testing.Cli;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Sweep specs: expansion into cell groups, plan round trip, and bad specs rejected before any work. */
class SweepSpecTest {
    static final String GOOD = """
            name: t
            seed: 3
            backbones: [olmoe-mini, qwen35-mini-a]
            calibration: {source: mini, count: 8, length: 64, seed: 1}
            compressors:
              - frequency
              - {name: reap, options: {alpha: 0}}
              - frequency+wanda
            ratios: [0.25, 0.5]
            hybrid: {r1_fraction: 0.5}
            tasks:
              - {name: mini_ppl, limit: 1}
              - mini_mc
            """;

    @TempDir
    Path tmp;

    Path write(String yaml) throws IOException {
        Path f = tmp.resolve("spec.yaml");
        Files.writeString(f, yaml);
        return f;
    }

    @Test
    void expandsIntoOneGroupPerBackboneWithDenseFirst() throws IOException {
        SweepPlan p = SweepValidator.validate(SweepSpec.load(write(GOOD)));
        assertEquals(2, p.groups().size());
        assertEquals(2 * (1 + 3 * 2), p.cellCount());
        for (CellGroup g : p.groups()) {
            assertEquals(Cell.DENSE, g.cells().get(0).compressor());
            assertEquals(g.cells().size(), g.cells().stream().map(Cell::id).distinct().count(), "cell folders are unique");
            assertTrue(g.cells().stream().allMatch(c -> c.backbone().equals(g.backbone().name())));
        }
        // Hybrids get their stage-1 ratio from hybrid.r1_fraction (methods.md 4.11).
        Cell h = p.groups().get(0).cells().stream().filter(c -> c.compressor().equals("frequency+wanda") && c.ratio() == 0.5).findFirst()
                .orElseThrow();
        assertEquals("0.2500", h.options().get("r1"));
        assertEquals("0", p.groups().get(0).cells().stream().filter(c -> c.compressor().equals("reap")).findFirst().orElseThrow().options()
                .get("alpha"));
        assertEquals(3, p.spec().seed());
    }

    @Test
    void planFolderRoundTrips() throws IOException {
        SweepPlan p = SweepValidator.validate(SweepSpec.load(write(GOOD)));
        p.write(tmp.resolve("plan"));
        SweepPlan back = SweepPlan.read(tmp.resolve("plan"));
        assertEquals(p.groups(), back.groups());
        assertEquals(p.spec().ratios(), back.spec().ratios());
        assertEquals(p.spec().calibration().count(), back.spec().calibration().count());
        assertEquals(2, Files.readAllLines(tmp.resolve("plan/cells.jsonl")).size(), "one line per group");
        // One binding: plan.json embeds the spec in the YAML's own schema and reads it back through the same parser.
        assertEquals(p.spec(), back.spec());
        assertEquals(p.spec(), SweepSpec.fromJson(p.spec().toJson(), p.spec().file()));
        String yamlKeys = com.google.gson.JsonParser.parseString(Files.readString(tmp.resolve("plan/plan.json"))).getAsJsonObject()
                .getAsJsonObject("spec").keySet().toString();
        assertEquals("[name, seed, backbones, calibration, compressors, ratios, hybrid, tasks, evaluation, dense]", yamlKeys);
    }

    @Test
    void optionsChangeTheCellFolder() {
        Cell a = new Cell("m", "reap", java.util.Map.of("alpha", "0"), 0.5);
        Cell b = new Cell("m", "reap", java.util.Map.of("alpha", "1"), 0.5);
        assertNotEquals(a.id(), b.id());
        assertEquals("reap-r0.50", new Cell("m", "reap", java.util.Map.of(), 0.5).id());
        assertNotEquals(new Cell("m", "reap", java.util.Map.of(), 0.33).id(), new Cell("m", "reap", java.util.Map.of(), 0.333).id());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "unknown compressor | - frequency | - nosuch | compressors: unknown compressor 'nosuch'",
        "invalid ratio | ratios: [0.25, 0.5] | ratios: [0.25, 1.5] | ratios:",
        "zero ratio | ratios: [0.25, 0.5] | ratios: [0, 0.5] | ratios:",
        "duplicate ratio | ratios: [0.25, 0.5] | ratios: [0.5, 0.5] | appears twice",
        "missing data file | - mini_mc | - {name: mini_mc, data: nowhere.jsonl} | nowhere.jsonl",
        "missing calibration | source: mini | source: nowhere.txt | calibration.source: no such file",
        "unknown key | seed: 3 | seeds: 3 | seeds",
        "unknown option | options: {alpha: 0} | options: {alpah: 0} | alpah",
        "unknown task | - mini_mc | - nosuch_task | nosuch_task",
        "unknown backbone | qwen35-mini-a] | qwen9-mini] | qwen9-mini",
        "too few experts left | ratios: [0.25, 0.5] | ratios: [0.25, 0.99] | compressors[",
        "bad yaml | tasks: | tasks: [ | not valid YAML"})
    void badSpecsAreRejectedBeforeAnyWork(String what, String from, String to, String message) throws IOException {
        assertTrue(GOOD.contains(from.strip()), from);
        Path spec = write(GOOD.replace(from.strip(), to.strip()));
        CheckpointException e = assertThrows(CheckpointException.class, () -> SweepValidator.validate(SweepSpec.load(spec)));
        assertTrue(e.getMessage().contains(message.strip()), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        Path out = tmp.resolve("out");
        Cli.Result r = Cli.run("sweep", spec.toString(), "--out", out.toString());
        assertNotEquals(0, r.status());
        assertTrue(r.err().contains(message.strip()), r.err());
        assertFalse(Files.exists(out), "nothing is written for a rejected spec");
    }

    @Test
    void theShippedSpecsAreValid() {
        for (String s : List.of("demo.yaml", "ci.yaml")) {
            SweepPlan p = SweepValidator.validate(SweepSpec.load(SweepEndToEndTest.ROOT.resolve("scripts/sweeps").resolve(s)));
            assertTrue(p.cellCount() > 0, s);
        }
        SweepSpec paper = SweepSpec.load(SweepEndToEndTest.ROOT.resolve("scripts/sweeps/paper.yaml"));
        assertEquals(List.of(0.25, 0.5, 0.75), paper.ratios().stream().filter(r -> r == 0.25 || r == 0.5 || r == 0.75).toList());
    }
}
