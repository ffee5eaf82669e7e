package dev.moefrontier.harness.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.moefrontier.harness.io.SafetensorsFile;
import dev.moefrontier.harness.io.TensorInfo;
import dev.moefrontier.harness.testing.Cli;
import dev.moefrontier.harness.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CliTest {
    @TempDir
    Path tmp;

    private static void assertOneLineError(Cli.Result r, String... fragments) {
        assertEquals(1, r.status(), r.err());
        String[] lines = r.err().strip().split("\n");
        assertEquals(1, lines.length, "one line: " + r.err());
        assertTrue(lines[0].startsWith("frontier: error: "), lines[0]);
        for (String f : fragments) {
            assertTrue(lines[0].contains(f), "mentions '" + f + "': " + lines[0]);
        }
    }

    @Test
    void forwardWritesTheFixtureTensors() throws IOException {
        Path dir = Fixtures.conformance("qwen3_5_moe-a");
        Path out = tmp.resolve("sub/out.safetensors");
        Cli.Result r = Cli.run("forward", "--model", dir.toString(), "--inputs", dir.resolve("inputs.json").toString(),
                "--out", out.toString(), "--device", "cpu");
        assertEquals(0, r.status(), r.err());
        try (SafetensorsFile got = SafetensorsFile.open(out);
                SafetensorsFile want = SafetensorsFile.open(dir.resolve("expected.safetensors"))) {
            assertEquals(want.tensors().keySet(), got.tensors().keySet());
            for (TensorInfo t : want.tensors().values()) {
                float[] a = want.readFloats(t);
                float[] b = got.readFloats(got.tensors().get(t.name()));
                for (int i = 0; i < a.length; i++) {
                    assertEquals(a[i], b[i], 2e-4, t.name());
                }
            }
            assertEquals("qwen3_5_moe", got.metadata().get("model_type"));
            assertTrue(got.metadata().containsKey("git_commit") && got.metadata().containsKey("checkpoint_fingerprint"));
        }
    }

    @Test
    void forwardRunsBf16AndShardedSyntheticCheckpoints() throws IOException {
        for (String type : List.of("olmoe", "qwen2_moe", "qwen3_moe", "mixtral", "qwen3_5_moe")) {
            Path model = tmp.resolve(type);
            Cli.Result s = Cli.run("synth", "--type", type, "--layers", "2", "--full-attention-interval", "2", "--dtype", "bf16",
                    "--shard-mb", "0", "--out", model.toString());
            assertEquals(0, s.status(), s.err());
            assertTrue(Files.exists(model.resolve("model.safetensors.index.json")), "sharded");
            Path inputs = tmp.resolve("in.json");
            Files.writeString(inputs, "{\"input_ids\": [[1, 2, 3, 4, 5], [7, 8, 9]]}");
            Path out = tmp.resolve(type + ".safetensors");
            Cli.Result r = Cli.run("forward", "--model", model.toString(), "--inputs", inputs.toString(), "--out", out.toString());
            assertEquals(0, r.status(), type + ": " + r.err());
            try (SafetensorsFile got = SafetensorsFile.open(out)) {
                assertTrue(got.tensors().get("logits.1").hasShape(3, 256), type);
                assertTrue(got.tensors().containsKey("topk_idx.0.1"), type);
            }
        }
    }

    @Test
    void badCheckpointGivesOneLineErrorAndNoOutput() throws IOException {
        Path src = Fixtures.conformance("olmoe-a");
        Path bad = tmp.resolve("bad");
        Files.createDirectories(bad);
        Files.copy(src.resolve("config.json"), bad.resolve("config.json"));
        byte[] all = Files.readAllBytes(src.resolve("model.safetensors"));
        Files.write(bad.resolve("model.safetensors"), java.util.Arrays.copyOf(all, all.length - 1000));
        Path out = tmp.resolve("out.safetensors");
        Cli.Result r = Cli.run("forward", "--model", bad.toString(), "--inputs", src.resolve("inputs.json").toString(),
                "--out", out.toString());
        assertOneLineError(r, bad.resolve("model.safetensors").toString(), "truncated");
        assertFalse(Files.exists(out), "no output file");
        assertEquals(List.of(), List.of(tmp.toFile().list((d, n) -> n.endsWith(".tmp"))), "no temporary leftovers");
    }

    @Test
    void badInputsAreRejectedBeforeAnyOutput() throws IOException {
        Path src = Fixtures.conformance("olmoe-a");
        Path out = tmp.resolve("out.safetensors");
        Path oov = tmp.resolve("oov.json");
        Files.writeString(oov, "{\"input_ids\": [[1, 2, 500]]}");
        assertOneLineError(Cli.run("forward", "--model", src.toString(), "--inputs", oov.toString(), "--out", out.toString()),
                oov.toString(), "input_ids[0][2] = 500", "vocab_size 128");
        Path malformed = tmp.resolve("bad.json");
        Files.writeString(malformed, "{\"input_ids\": [[1, \"x\"]]}");
        assertOneLineError(Cli.run("forward", "--model", src.toString(), "--inputs", malformed.toString(), "--out", out.toString()),
                malformed.toString(), "input_ids[0][1]");
        assertFalse(Files.exists(out));
    }

    @Test
    void usageErrorsExitTwo() {
        assertEquals(2, Cli.run("forward", "--model", "x").status());
        assertEquals(2, Cli.run("no-such-command").status());
        Cli.Result help = Cli.run("--help");
        assertEquals(0, help.status());
        assertTrue(help.out().contains("forward") && help.out().contains("doctor") && help.out().contains("demo"));
    }

    @Test
    void synthRefusesInvalidShapesBeforeWriting() {
        Path out = tmp.resolve("never");
        Cli.Result r = Cli.run("synth", "--type", "olmoe", "--experts", "4", "--topk", "8", "--out", out.toString());
        assertOneLineError(r, "num_experts_per_tok");
        assertFalse(Files.exists(out));
        assertOneLineError(Cli.run("synth", "--type", "llama", "--out", out.toString()), "llama");
    }

    @Test
    void doctorChecksTheBundledModel() {
        Cli.Result r = Cli.run("doctor");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("PyTorch") && r.out().contains("2.7.1"), r.out());
        assertTrue(r.out().contains("offline mode on"), r.out());
        assertTrue(r.out().contains("Conformance") && r.out().contains("(OK)"), r.out());
    }

    @Test
    void demoRunsTheShippedDemoSpec() throws IOException {
        Cli.Result r = Cli.run("demo", "--help");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("scripts/sweeps/demo.yaml") && r.out().contains("--resume"), r.out());
        try (var in = CliTest.class.getResourceAsStream("/dev/moefrontier/sweeps/demo.yaml")) {
            assertEquals(Files.readString(Path.of("../scripts/sweeps/demo.yaml")), new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8),
                    "the jar carries scripts/sweeps/demo.yaml");
        }
    }
}
