package dev.moefrontier.harness.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.moefrontier.harness.io.CheckpointException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A compressor entry whose options list values is a grid: one entry per combination, in a stated order. */
class OptionGridTest {
    @TempDir
    Path tmp;

    private SweepSpec spec(String compressors) throws Exception {
        Path f = tmp.resolve("s.yaml");
        Files.writeString(f, "name: g\nbackbones: [{name: x, path: " + tmp + "}]\ncompressors:\n" + compressors + "\nratios: [0.5]\n"
                + "tasks: [mini_ppl]\n");
        return SweepSpec.load(f);
    }

    @Test
    void listsExpandToEveryCombinationFirstOptionSlowest() throws Exception {
        SweepSpec s = spec("  - reap\n  - {name: hodgecover, options: {barrier: local, lambda_e: [0, 1], saliency_scale: [sum, max, raw]}}");
        List<SweepSpec.CompressorEntry> c = s.compressors();
        assertEquals(7, c.size());
        assertEquals(new SweepSpec.CompressorEntry("reap", Map.of()), c.get(0));
        assertEquals(List.of("barrier", "lambda_e", "saliency_scale"), List.copyOf(c.get(1).options().keySet()), "option order kept");
        assertEquals(List.of("0|sum", "0|max", "0|raw", "1|sum", "1|max", "1|raw"), c.subList(1, 7).stream()
                .map(e -> e.options().get("lambda_e") + "|" + e.options().get("saliency_scale")).toList());
        assertTrue(c.subList(1, 7).stream().allMatch(e -> e.options().get("barrier").equals("local")));
        // the expanded spec is what plan.json stores, and it reads back the same
        SweepSpec back = SweepSpec.fromJson(s.toJson(), s.file());
        assertEquals(s.compressors(), back.compressors());
    }

    @Test
    void badGridsAreOneLineNamingTheKey() {
        for (String[] bad : new String[][] {
            {"  - {name: reap, options: {p: []}}", "compressors[reap].options.p: lists no value"},
            {"  - {name: reap, options: {p: [1, 1]}}", "compressors[reap].options.p: lists a value twice"},
            {"  - {name: reap, options: {p: [[1]]}}", "compressors[reap].options.p: must be a single value or a list"},
            {"  - {name: reap, options: {p: {a: 1}}}", "compressors[reap].options.p: must be a single value or a list"}}) {
            CheckpointException e = assertThrows(CheckpointException.class, () -> spec(bad[0]), bad[0]);
            assertTrue(e.getMessage().contains(bad[1]), e.getMessage());
        }
    }
}
