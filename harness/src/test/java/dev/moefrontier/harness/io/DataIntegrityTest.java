package dev.moefrontier.harness.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.moefrontier.harness.calib.CalibrationData;
import dev.moefrontier.harness.calib.CalibrationSpec;
import dev.moefrontier.harness.calib.CalibrationStats;
import dev.moefrontier.harness.calib.Calibrator;
import dev.moefrontier.harness.calib.LayerStats;
import dev.moefrontier.harness.eval.EvalContext;
import dev.moefrontier.harness.model.ForwardDump;
import dev.moefrontier.harness.model.ModelPatch;
import dev.moefrontier.harness.model.MoeTransformer;
import dev.moefrontier.harness.model.SyntheticCheckpoint;
import dev.moefrontier.harness.testing.WordTokenizer;
import dev.moefrontier.harness.util.AtomicFiles;
import dev.moefrontier.harness.util.NonFiniteException;
import dev.moefrontier.harness.util.Progress;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Caches cannot serve an answer computed for different inputs, and NaN/Inf is caught where it enters: every edit the
 * answer depends on (config, tokenizer, any weight byte, calibration data) changes the cache key, and a non-finite
 * weight, statistic or logit is an error naming where it is.
 */
class DataIntegrityTest {
    static final List<String> WORDS = List.of("[UNK]", "the", "cat", "sat", "on", "a", "mat", "dog", "ran", "far");

    @TempDir
    static Path tmp;

    @BeforeAll
    static void quiet() {
        Progress.quiet(true);
    }

    static Path model(String name, dev.moefrontier.harness.io.DType dtype) throws IOException {
        Path dir = tmp.resolve(name);
        SyntheticCheckpoint.of("qwen2_moe").layers(2).hidden(32).heads(4, 2, 8).experts(8, 2, 16).shared(16).vocab(64)
                .dtype(dtype).seed(5).write(dir);
        WordTokenizer.write(dir, WORDS);
        return dir;
    }

    static Path ids(String name, int seqs, int len) throws IOException {
        StringBuilder sb = new StringBuilder("{\"input_ids\": [");
        java.util.Random r = new java.util.Random(1);
        for (int s = 0; s < seqs; s++) {
            sb.append(s == 0 ? "[" : ", [");
            for (int t = 0; t < len; t++) {
                sb.append(t == 0 ? "" : ", ").append(r.nextInt(64));
            }
            sb.append(']');
        }
        Path f = tmp.resolve(name);
        Files.writeString(f, sb.append("]}").toString());
        return f;
    }

    static String fingerprint(Path dir) {
        try (Checkpoint c = Checkpoint.open(dir)) {
            return c.fingerprint();
        }
    }

    /** Overwrites bytes at a file offset, then restores the modification time (as an in-place edit tool might). */
    static void patchBytes(Path file, long offset, byte[] bytes) throws IOException {
        FileTime mtime = Files.getLastModifiedTime(file);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(bytes), offset);
        }
        Files.setLastModifiedTime(file, mtime);
    }

    /** Absolute offset of element {@code index} of {@code tensor}. */
    static long offsetOf(Path dir, String tensor, long index) {
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve(Checkpoint.SINGLE))) {
            TensorInfo t = f.tensors().get(tensor);
            return f.dataStart() + t.begin() + index * t.dtype().size();
        }
    }

    static long elements(Path dir, String tensor) {
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve(Checkpoint.SINGLE))) {
            return f.tensors().get(tensor).numel();
        }
    }

    @Test
    void fingerprintCoversConfigTokenizerAndEveryWeightByte() throws IOException {
        Path dir = model("fp", DType.F32);
        String base = fingerprint(dir);
        assertEquals(base, fingerprint(dir), "stable");

        // Key order and whitespace in config.json do not matter; values do.
        Path cfg = dir.resolve("config.json");
        String json = Files.readString(cfg);
        com.google.gson.JsonObject o = com.google.gson.JsonParser.parseString(json).getAsJsonObject();
        com.google.gson.JsonObject reordered = new com.google.gson.JsonObject();
        List<String> keys = new ArrayList<>(o.keySet());
        java.util.Collections.reverse(keys);
        keys.forEach(k -> reordered.add(k, o.get(k)));
        Files.writeString(cfg, new com.google.gson.GsonBuilder().setPrettyPrinting().create().toJson(reordered));
        assertEquals(base, fingerprint(dir), "canonical config");
        Files.writeString(cfg, json.replace("\"num_experts_per_tok\": 2", "\"num_experts_per_tok\": 1"));
        assertNotEquals(json, Files.readString(cfg), "the edit applied");
        String topOne = fingerprint(dir);
        assertNotEquals(base, topOne, "num_experts_per_tok is part of the key");
        Files.writeString(cfg, json);
        assertEquals(base, fingerprint(dir));

        Path tok = dir.resolve("tokenizer.json");
        String t = Files.readString(tok);
        Files.writeString(tok, t.replace("\"mat\"", "\"rug\""));
        assertNotEquals(base, fingerprint(dir), "the tokenizer is part of the key");
        Files.writeString(tok, t);

        // One byte in the middle of the embedding, far from the first and last 64 bytes, mtime restored.
        String emb = "model.embed_tokens.weight";
        long mid = offsetOf(dir, emb, elements(dir, emb) / 2);
        Path st = dir.resolve(Checkpoint.SINGLE);
        byte[] before = new byte[1];
        try (FileChannel ch = FileChannel.open(st, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.wrap(before);
            ch.read(b, mid);
        }
        patchBytes(st, mid, new byte[] {(byte) (before[0] ^ 0x01)});
        assertNotEquals(base, fingerprint(dir), "every weight byte is part of the key (sidecar not trusted after a write)");
        patchBytes(st, mid, before);
        assertEquals(base, fingerprint(dir));
    }

    @Test
    void digestIsRememberedInASidecarKeyedByFileIdentity() throws IOException {
        Path dir = model("sidecar", DType.BF16);
        Path root = tmp.resolve("digest-root");
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve(Checkpoint.SINGLE))) {
            ContentDigest first = ContentDigest.of(f, true, root);
            assertEquals(dev.moefrontier.harness.util.Checksums.sha256(List.of(f.path())), first.sha256(), "SHA-256 of the file");
            assertTrue(first.scanned());
            assertEquals(null, first.nonFinite());
            List<Path> sidecars;
            try (Stream<Path> s = Files.walk(root)) {
                sidecars = s.filter(p -> p.toString().endsWith(".json")).toList();
            }
            assertEquals(1, sidecars.size());
            // A remembered answer is served as it was written: plant a marker to see it come back.
            String planted = Files.readString(sidecars.get(0)).replace(first.sha256(), "0".repeat(64));
            Files.writeString(sidecars.get(0), planted);
            assertEquals("0".repeat(64), ContentDigest.of(f, true, root).sha256(), "served from the sidecar");
            // Touching the file (even with its old mtime) changes its status-change time: the sidecar is stale.
            patchBytes(f.path(), 0, new byte[] {Files.readAllBytes(f.path())[0]});
            assertEquals(first.sha256(), ContentDigest.of(f, true, root).sha256(), "recomputed after a write");
        }
    }

    @Test
    void nonFiniteWeightsAreRefusedNamingTensorAndIndex() throws IOException {
        for (DType dtype : List.of(DType.F32, DType.BF16)) {
            Path dir = model("nan-" + dtype, dtype);
            String tensor = "model.layers.1.mlp.gate.weight"; // the router: NaN here used to route every token alike
            long n = elements(dir, tensor);
            long index = n / 2 + 1;
            byte[] nan = dtype == DType.F32 ? ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0x7FC00000).array()
                    : new byte[] {(byte) 0xC0, (byte) 0x7F};
            patchBytes(dir.resolve(Checkpoint.SINGLE), offsetOf(dir, tensor, index), nan);
            CheckpointException e = assertThrows(CheckpointException.class, () -> MoeTransformer.open(dir).close());
            assertTrue(e.getMessage().contains(tensor) && e.getMessage().contains("NaN at flat index " + index), e.getMessage());
            assertTrue(e.getMessage().contains("--skip-weight-scan"), e.getMessage());

            // Skipping the scan, the NaN is still caught where results are made: logits and statistics.
            try (MoeTransformer m = MoeTransformer.builder().setPath(dir).optScanWeights(false).build()) {
                NonFiniteException logits = assertThrows(NonFiniteException.class, () -> ForwardDump.run(m, List.of(new int[] {1, 2, 3})));
                assertTrue(logits.getMessage().contains("logits of sequence 0"), logits.getMessage());
                CalibrationData d = CalibrationData.load(CalibrationSpec.tokenIds(ids("nan-ids.json", 2, 8)), m);
                NonFiniteException stats = assertThrows(NonFiniteException.class,
                        () -> new Calibrator(null, 4096, s -> { }).collect(m, d, List.of(), ModelPatch.NONE));
                assertTrue(stats.getMessage().contains("MoE layer 1"), stats.getMessage());
            }
        }
    }

    @Test
    void infinitiesOfEveryFloatTypeAreFound() throws IOException {
        Path f = tmp.resolve("inf.safetensors");
        float[] v = new float[1000];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) Math.sin(i);
        }
        float[] a = v.clone();
        a[997] = Float.NEGATIVE_INFINITY; // in the unrolled tail
        float[] b = v.clone();
        b[8] = Float.POSITIVE_INFINITY;
        b[9] = Float.NaN;
        new SafetensorsWriter().addFloats("clean", DType.F16, new long[] {1000}, v).addFloats("a", DType.F16, new long[] {1000}, a)
                .addFloats("b", DType.F32, new long[] {1000}, b).addFloats("c", DType.BF16, new long[] {1000}, v).write(f);
        try (SafetensorsFile s = SafetensorsFile.open(f)) {
            ContentDigest d = ContentDigest.compute(s, true);
            assertEquals(3, d.nonFiniteCount());
            // Tensors are scanned in file order: "a" (F16) comes before "b" (F32), so its -Inf is the first found.
            assertEquals(new ContentDigest.Location("a", 997, "-Inf"), d.nonFinite());
        }
    }

    @Test
    void scanFindsAnElementCutByTheReadChunkBoundary() throws IOException {
        // A one-byte tensor first puts the BF16 tensor at an odd offset, so one of its elements straddles the 8 MiB
        // boundary of the sequential read; the NaN is planted exactly there, and a +Inf in the last element.
        Path f = tmp.resolve("straddle.safetensors");
        int n = 5 << 20; // 10 MiB of BF16
        float[] v = new float[n];
        java.util.Arrays.fill(v, 0.5f);
        new SafetensorsWriter().add("pad", DType.U8, new long[] {1}, out -> out.write(ByteBuffer.wrap(new byte[] {7})))
                .addFloats("big", DType.BF16, new long[] {n}, v).write(f);
        long k;
        try (SafetensorsFile s = SafetensorsFile.open(f)) {
            TensorInfo big = s.tensors().get("big");
            long start = s.dataStart() + big.begin();
            assertEquals(1, start % 2, "odd offset");
            long boundary = 8L << 20;
            k = (boundary - 1 - start) / 2; // element k occupies bytes boundary-1 and boundary
            assertEquals(boundary - 1, start + 2 * k);
        }
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
            try (SafetensorsFile s = SafetensorsFile.open(f)) {
                long start = s.dataStart() + s.tensors().get("big").begin();
                ch.write(ByteBuffer.wrap(new byte[] {(byte) 0xC1, (byte) 0x7F}), start + 2 * k); // NaN, little-endian
                ch.write(ByteBuffer.wrap(new byte[] {(byte) 0x80, (byte) 0x7F}), start + 2L * (n - 1)); // +Inf
            }
        }
        try (SafetensorsFile s = SafetensorsFile.open(f)) {
            ContentDigest d = ContentDigest.compute(s, true);
            assertEquals(new ContentDigest.Location("big", k, "NaN"), d.nonFinite());
            assertEquals(2, d.nonFiniteCount());
            assertEquals(dev.moefrontier.harness.util.Checksums.sha256(List.of(f)), d.sha256());
        }
    }

    @Test
    void calibrationCacheMissesOnEveryEditItDependsOn() throws IOException {
        Path dir = model("calib", DType.F32);
        Path cache = tmp.resolve("calib-cache");
        Path data = ids("calib-ids.json", 4, 16);
        List<String> log = new ArrayList<>();
        Calibrator cal = new Calibrator(cache, 4096, log::add);
        long routedTop2 = routed(dir, data, cal);
        assertFalse(log.stream().anyMatch(s -> s.contains("reusing")), log.toString());
        routed(dir, data, cal);
        assertTrue(log.stream().anyMatch(s -> s.contains("reusing")), "second run is a hit: " + log);

        // num_experts_per_tok 2 -> 1: the top-2 statistics must not be served (4 x 16 tokens route once each).
        Path cfg = dir.resolve("config.json");
        Files.writeString(cfg, Files.readString(cfg).replace("\"num_experts_per_tok\": 2", "\"num_experts_per_tok\": 1"));
        log.clear();
        long routedTop1 = routed(dir, data, cal);
        assertFalse(log.stream().anyMatch(s -> s.contains("reusing")), "config edit is a miss: " + log);
        assertEquals(2 * 4 * 16, routedTop2);
        assertEquals(4 * 16, routedTop1);

        // Calibration content: the same file name with other tokens.
        log.clear();
        Files.writeString(data, Files.readString(data).replaceFirst("\\[\\[\\d+", "[[7"));
        routed(dir, data, cal);
        assertFalse(log.stream().anyMatch(s -> s.contains("reusing")), "calibration edit is a miss: " + log);

        // The evaluation response cache is keyed by the same fingerprint.
        try (MoeTransformer m = MoeTransformer.open(dir); EvalContext a = EvalContext.builder().setModel(m).build()) {
            String key = a.modelKey();
            Files.writeString(cfg, Files.readString(cfg).replace("\"num_experts_per_tok\": 1", "\"num_experts_per_tok\": 2"));
            try (MoeTransformer m2 = MoeTransformer.open(dir); EvalContext b = EvalContext.builder().setModel(m2).build()) {
                assertNotEquals(key, b.modelKey());
            }
        }
    }

    private static long routed(Path dir, Path data, Calibrator cal) {
        try (MoeTransformer m = MoeTransformer.open(dir)) {
            CalibrationData d = CalibrationData.load(CalibrationSpec.tokenIds(data), m);
            CalibrationStats s = cal.stats(m, d, List.of());
            LayerStats l = s.layer(s.layers().iterator().next());
            long n = 0;
            for (int e = 0; e < l.experts(); e++) {
                n += l.count(e);
            }
            return n;
        }
    }

    @Test
    void inputsLongerThanTheContextAreRefused() throws IOException {
        Path dir = model("ctx", DType.F32);
        Path cfg = dir.resolve("config.json");
        Files.writeString(cfg, Files.readString(cfg).replace("\"max_position_embeddings\": 4096", "\"max_position_embeddings\": 16"));
        Path longIds = ids("long.json", 1, 17);
        try (MoeTransformer m = MoeTransformer.open(dir)) {
            CheckpointException e = assertThrows(CheckpointException.class,
                    () -> CalibrationData.load(CalibrationSpec.tokenIds(longIds), m));
            assertTrue(e.getMessage().contains("17 tokens, more than the model's context of 16"), e.getMessage());
            Path text = tmp.resolve("ctx.txt");
            Files.writeString(text, "the cat sat on a mat ".repeat(50));
            CheckpointException w = assertThrows(CheckpointException.class,
                    () -> CalibrationData.load(new CalibrationSpec(text, 2, 32, 0), m));
            assertTrue(w.getMessage().contains("longer than the model's context of 16"), w.getMessage());
            assertEquals(16, CalibrationData.load(new CalibrationSpec(text, 2, 16, 0), m).windows().get(0).length);
        }
        for (String bad : List.of("0", "-1")) {
            Files.writeString(cfg, Files.readString(cfg).replaceAll("\"max_position_embeddings\": -?\\d+", "\"max_position_embeddings\": " + bad));
            CheckpointException e = assertThrows(CheckpointException.class, () -> dev.moefrontier.harness.model.ModelConfig.load(dir));
            assertTrue(e.getMessage().contains("max_position_embeddings") && e.getMessage().contains("positive"), e.getMessage());
        }
    }

    @Test
    void failedWritesNameTheTargetAndLeaveNothingBehind() throws IOException {
        Path dir = tmp.resolve("atomic");
        Files.createDirectories(dir);
        Path target = dir.resolve("figure.svg");
        Files.writeString(target, "old");
        IOException e = assertThrows(IOException.class, () -> AtomicFiles.write(target, tmp2 -> {
            Files.writeString(tmp2, "<svg partial");
            throw new IOException("No space left on device");
        }));
        assertEquals("cannot write " + target + ": no space left on device", e.getMessage());
        assertEquals("old", Files.readString(target), "the old file is untouched");
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(target), s.toList(), "no temporary file left");
        }
        Path underFile = target.resolve("x.csv");
        IOException e2 = assertThrows(IOException.class, () -> AtomicFiles.writeString(underFile, "x"));
        assertTrue(e2.getMessage().startsWith("cannot write " + underFile + ": "), e2.getMessage());
        assertFalse(e2.getMessage().contains(".tmp"), e2.getMessage());
        assertEquals("old", new String(Files.readAllBytes(target), StandardCharsets.UTF_8));
    }
}
