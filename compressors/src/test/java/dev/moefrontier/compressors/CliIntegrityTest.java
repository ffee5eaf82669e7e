package dev.moefrontier.compressors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.moefrontier.harness.io.DType;
import dev.moefrontier.harness.model.SyntheticCheckpoint;
import dev.moefrontier.harness.testing.Cli;
import dev.moefrontier.harness.testing.WordTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Inputs checked up front, each problem one line naming the file or option, and nothing half-written. */
class CliIntegrityTest {
    @TempDir
    static Path tmp;
    static Path model;

    @BeforeAll
    static void setUp() throws IOException {
        model = tmp.resolve("model");
        SyntheticCheckpoint.of("qwen2_moe").layers(2).hidden(32).heads(4, 2, 8).experts(8, 2, 16).shared(16).vocab(64)
                .dtype(DType.F32).seed(2).write(model);
        WordTokenizer.write(model, List.of("[UNK]", "the", "cat", "sat", "on", "a", "mat"));
        Path cfg = model.resolve("config.json");
        Files.writeString(cfg, Files.readString(cfg).replace("\"max_position_embeddings\": 4096", "\"max_position_embeddings\": 32"));
    }

    static void assertOneLineError(Cli.Result r, String... fragments) {
        assertEquals(1, r.status(), r.err());
        String[] lines = r.err().strip().split("\n");
        String last = lines[lines.length - 1];
        assertTrue(last.startsWith("frontier: error: "), r.err());
        for (String f : fragments) {
            assertTrue(last.contains(f), "mentions '" + f + "': " + last);
        }
        assertFalse(last.contains("Input length"), last);
    }

    @Test
    void badPathsAndTextGetAPlainReason() throws IOException {
        Path file = tmp.resolve("not-a-dir.bin");
        Files.write(file, new byte[] {(byte) 0xC3, 0x28, 0x00, 0x01});
        Path out = tmp.resolve("o.safetensors");
        Path in = tmp.resolve("in.json");
        Files.writeString(in, "{\"input_ids\": [[1, 2, 3]]}");
        assertOneLineError(Cli.run("forward", "--model", file.toString(), "--inputs", in.toString(), "--out", out.toString()),
                file.toString(), "is a file");
        Path badUtf8 = tmp.resolve("bad-utf8");
        Files.createDirectories(badUtf8);
        Files.write(badUtf8.resolve("config.json"), new byte[] {'{', '"', (byte) 0xC3, 0x28, '"', ':', '1', '}'});
        assertOneLineError(Cli.run("forward", "--model", badUtf8.toString(), "--inputs", in.toString(), "--out", out.toString()),
                "config.json", "not valid UTF-8");
        assertOneLineError(Cli.run("scores", "--model", model.toString(), "--criteria", "frequency", "--calibration", tmp.toString(),
                "--out", tmp.resolve("s.csv").toString()), tmp.toString(), "is a directory");
        assertFalse(Files.exists(out));
    }

    @Test
    void inputsPastTheContextAreRefusedAndTheWindowDefaultFollowsIt() throws IOException {
        Path in = tmp.resolve("long.json");
        StringBuilder sb = new StringBuilder("{\"input_ids\": [[1");
        for (int i = 1; i < 33; i++) {
            sb.append(", ").append(i % 7);
        }
        Files.writeString(in, sb.append("]]}").toString());
        Path out = tmp.resolve("long.safetensors");
        assertOneLineError(Cli.run("forward", "--model", model.toString(), "--inputs", in.toString(), "--out", out.toString()),
                "33 tokens, more than the model's context of 32");
        assertFalse(Files.exists(out), "nothing written");

        Path text = tmp.resolve("calib.txt");
        Files.writeString(text, "the cat sat on a mat ".repeat(40));
        // The default window is min(2048, context) = 32: runs. An explicit 64 is refused with the reason.
        Path ok = tmp.resolve("scores-ok.csv");
        Cli.Result r = Cli.run("scores", "--model", model.toString(), "--criteria", "frequency", "--calibration", text.toString(),
                "--calib-count", "2", "--no-cache", "--out", ok.toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(Files.readString(ok.resolveSibling("scores-ok.csv.provenance.json")).contains("x32:"), "window of 32 tokens");
        assertOneLineError(Cli.run("scores", "--model", model.toString(), "--criteria", "frequency", "--calibration", text.toString(),
                "--calib-length", "64", "--no-cache", "--out", tmp.resolve("s2.csv").toString()), "longer than the model's context of 32");
    }

    @Test
    void scoresRejectRepeatedCriteriaAndAimerNeedsNoCalibration() throws IOException {
        Path out = tmp.resolve("dup.csv");
        assertOneLineError(Cli.run("scores", "--model", model.toString(), "--criteria", "frequency,frequency", "--out", out.toString()),
                "'frequency' twice");
        assertFalse(Files.exists(out));
        Path aimer = tmp.resolve("aimer.csv");
        Cli.Result r = Cli.run("scores", "--model", model.toString(), "--criteria", "aimer", "--out", aimer.toString());
        assertEquals(0, r.status(), r.err());
        List<String> rows = Files.readAllLines(aimer);
        assertEquals(1 + 2 * 8, rows.size(), "one row per layer and expert: " + rows);
    }

    @Test
    void optionValuesAreValidatedByTheCli() {
        Path in = tmp.resolve("in.json");
        Cli.Result r = Cli.run("forward", "--model", model.toString(), "--inputs", in.toString(), "--out", tmp.resolve("t.st").toString(),
                "--threads", "0");
        assertEquals(2, r.status(), r.err());
        assertTrue(r.err().contains("--threads"), r.err());
        Cli.Result help = Cli.run("plan", "--help");
        assertEquals(0, help.status());
        assertFalse(help.err().contains("picocli") || help.out().contains("picocli WARN"), help.err());
        assertTrue(help.out().contains("submit.sh") && help.out().contains("--estimate"), help.out());
    }
}
