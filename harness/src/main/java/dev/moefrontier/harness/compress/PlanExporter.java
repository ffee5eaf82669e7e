package dev.moefrontier.harness.compress;

import ai.djl.ndarray.NDArray;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import dev.moefrontier.harness.io.Checkpoint;
import dev.moefrontier.harness.io.CheckpointWriter;
import dev.moefrontier.harness.io.SafetensorsWriter;
import dev.moefrontier.harness.io.TensorInfo;
import dev.moefrontier.harness.model.Family;
import dev.moefrontier.harness.model.LayerWeights;
import dev.moefrontier.harness.model.ModelConfig;
import dev.moefrontier.harness.model.MoeOverride;
import dev.moefrontier.harness.model.MoeTransformer;
import dev.moefrontier.harness.model.TensorLayout;
import dev.moefrontier.harness.model.TensorLayout.ExpertStorage;
import dev.moefrontier.harness.util.AtomicFiles;
import dev.moefrontier.harness.util.Json;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Writes a compressed checkpoint: a standard Hugging Face directory (pruned experts and their router rows removed,
 * survivors renumbered in ascending order, merged / masked weights written in the source dtype, the expert count in
 * config.json updated) plus {@code pruning_plan.json}. Unchanged tensors are copied byte for byte. For redirect plans
 * the original routers go to {@code redirect_router.safetensors}; {@link ExportedCheckpoint#patchFor} restores redirect
 * semantics when the export is read back (Hugging Face loaders see the drop form). The directory appears only when complete.
 */
public final class PlanExporter {
    public static final String PLAN_FILE = ExportedCheckpoint.PLAN_FILE;
    public static final String REDIRECT_ROUTERS = ExportedCheckpoint.REDIRECT_ROUTERS;
    private static final long SHARD_BYTES = 5_000_000_000L;

    private PlanExporter() {}

    /** Exports {@code applied} (a plan applied to {@code model}) into {@code out}, which must not exist or be empty. */
    public static void export(MoeTransformer model, AppliedPlan applied, Path out, Map<String, String> provenance) throws IOException {
        ModelConfig cfg = model.config();
        PruningPlan plan = applied.plan();
        int keep = -1;
        for (int l : cfg.moeLayers()) {
            LayerPlan lp = plan.layer(l);
            int k = lp == null ? cfg.moe().numExperts() : lp.kept().length;
            if (keep >= 0 && k != keep) {
                throw new IllegalArgumentException("cannot export: layers keep different numbers of experts, which config.json cannot express");
            }
            keep = k;
        }
        if (Files.exists(out) && (!Files.isDirectory(out) || Files.list(out).findAny().isPresent())) {
            throw new IllegalArgumentException(out + ": exists and is not an empty directory");
        }
        Path parent = out.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempDirectory(parent, "." + out.getFileName() + ".");
        boolean ok = false;
        try {
            JsonObject root = cfg.root().deepCopy();
            JsonObject text = cfg.family().textConfigKey() == null ? root : root.getAsJsonObject(cfg.family().textConfigKey());
            text.addProperty(cfg.family().numExpertsKey(), keep);
            ModelConfig newCfg = ModelConfig.parse(root, tmp.resolve("config.json"));
            new Writer(model, applied, newCfg).write(tmp);
            AtomicFiles.writeString(tmp.resolve("config.json"), new GsonBuilder().setPrettyPrinting().create().toJson(root) + "\n");
            PruningPlan.Document pj = plan.document(cfg).withExport(new PruningPlan.Export(
                    model.checkpoint().dir().toAbsolutePath().toString(), model.checkpoint().fingerprint(), keep,
                    "experts are renumbered: new index j is the j-th kept expert of the layer", provenance));
            AtomicFiles.writeString(tmp.resolve(PLAN_FILE), Json.pretty(pj));
            for (String extra : new String[] {"tokenizer.json", "tokenizer_config.json", "generation_config.json", "special_tokens_map.json"}) {
                Path f = model.checkpoint().dir().resolve(extra);
                if (Files.exists(f)) {
                    Files.copy(f, tmp.resolve(extra));
                }
            }
            Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
            ok = true;
        } finally {
            if (!ok) {
                try (Stream<Path> s = Files.walk(tmp)) {
                    s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
    }

    /** Streams every tensor of the exported checkpoint. */
    private static final class Writer {
        private final MoeTransformer model;
        private final AppliedPlan applied;
        private final ModelConfig src;
        private final ModelConfig dst;
        private final Checkpoint ckpt;
        private final ExpertStorage storage;
        private int currentLayer = -1;
        private LayerWeights currentWeights;
        private MoeOverride current;

        Writer(MoeTransformer model, AppliedPlan applied, ModelConfig dst) {
            this.model = model;
            this.applied = applied;
            this.src = model.config();
            this.dst = dst;
            this.ckpt = model.checkpoint();
            this.storage = model.weights().storage();
        }

        void write(Path dir) throws IOException {
            Family f = src.family();
            CheckpointWriter w = new CheckpointWriter(SHARD_BYTES);
            SafetensorsWriter routers = applied.plan().mode() == PruningPlan.Mode.REDIRECT ? new SafetensorsWriter() : null;
            for (Map.Entry<String, long[]> e : TensorLayout.expected(dst, storage).entrySet()) {
                String name = e.getKey();
                long[] shape = e.getValue();
                int layer = layerOf(name);
                LayerPlan lp = layer >= 0 ? applied.plan().layer(layer) : null;
                if (lp == null) {
                    TensorInfo t = ckpt.info(name);
                    w.add(name, t.dtype(), shape, out -> copy(t, 0, t.byteSize(), out));
                } else if (name.equals(f.router(layer))) {
                    TensorInfo t = ckpt.info(name);
                    long row = t.byteSize() / lp.numExperts();
                    w.add(name, t.dtype(), shape, out -> {
                        for (int k : lp.kept()) {
                            copy(t, k * row, row, out);
                        }
                    });
                    if (routers != null) {
                        routers.add("layers." + layer + ".router", t.dtype(), t.shape(), out -> copy(t, 0, t.byteSize(), out));
                    }
                } else if (storage == ExpertStorage.FUSED && name.equals(f.fusedGateUp(layer))) {
                    TensorInfo t = ckpt.info(name);
                    w.add(name, t.dtype(), shape, out -> {
                        for (int k : lp.kept()) {
                            writeExpert(layer, k, 0, t, out);
                        }
                    });
                } else if (storage == ExpertStorage.FUSED && name.equals(f.fusedDown(layer))) {
                    TensorInfo t = ckpt.info(name);
                    w.add(name, t.dtype(), shape, out -> {
                        for (int k : lp.kept()) {
                            writeExpert(layer, k, 2, t, out);
                        }
                    });
                } else if (expertOf(layer, name) != null) {
                    int[] jw = expertOf(layer, name);
                    int orig = lp.kept()[jw[0]];
                    TensorInfo t = ckpt.info(f.expert(layer, orig, jw[1]));
                    w.add(name, t.dtype(), shape, out -> writeExpert(layer, orig, jw[1], t, out));
                } else if (sharedOf(layer, name) >= 0) {
                    int which = sharedOf(layer, name);
                    TensorInfo t = ckpt.info(name);
                    w.add(name, t.dtype(), shape, out -> writeShared(layer, which, t, out));
                } else {
                    TensorInfo t = ckpt.info(name);
                    w.add(name, t.dtype(), shape, out -> copy(t, 0, t.byteSize(), out));
                }
            }
            try {
                w.write(dir);
                if (routers != null) {
                    routers.write(dir.resolve(REDIRECT_ROUTERS));
                }
            } finally {
                releaseLayer();
            }
        }

        private int layerOf(String name) {
            String p = src.family().prefix() + "layers.";
            if (!name.startsWith(p)) {
                return -1;
            }
            int dot = name.indexOf('.', p.length());
            return Integer.parseInt(name.substring(p.length(), dot));
        }

        /** {new expert index, projection} of a per-expert tensor name, or null. */
        private int[] expertOf(int layer, String name) {
            Family f = src.family();
            for (int j = 0; j < dst.moe().numExperts(); j++) {
                for (int which = 0; which < 3; which++) {
                    if (name.equals(f.expert(layer, j, which))) {
                        return new int[] {j, which};
                    }
                }
            }
            return null;
        }

        private int sharedOf(int layer, String name) {
            if (src.moe().sharedIntermediate() == 0) {
                return -1;
            }
            for (int which = 0; which < 3; which++) {
                if (name.equals(src.family().sharedExpert(layer, which))) {
                    return which;
                }
            }
            return -1;
        }

        private MoeOverride override(int layer) {
            if (layer != currentLayer) {
                releaseLayer();
                currentWeights = model.weights().acquire(layer);
                current = applied.moe(layer, currentWeights.moe());
                currentLayer = layer;
            }
            return current;
        }

        private void releaseLayer() {
            if (currentWeights != null) {
                model.weights().release(currentWeights);
                currentWeights = null;
                currentLayer = -1;
            }
        }

        /**
         * Writes projection {@code which} (0 gate, 1 up, 2 down; for fused gate/up: 0 writes gate then up) of original
         * expert {@code e}: the override when there is one, else the source bytes.
         */
        private void writeExpert(int layer, int e, int which, TensorInfo t, FileChannel out) throws IOException {
            MoeOverride ov = override(layer);
            NDArray gu = ov.gateUpT() == null ? null : ov.gateUpT()[e];
            NDArray dn = ov.downT() == null ? null : ov.downT()[e];
            boolean fused = storage == ExpertStorage.FUSED;
            long inter = src.moe().intermediate();
            long h = src.hiddenSize();
            if (which == 2) {
                if (dn != null) {
                    float[] v = hf(dn);
                    SafetensorsWriter.writeFloats(out, v, 0, v.length, t.dtype());
                } else {
                    long n = h * inter * t.dtype().size();
                    copy(t, fused ? e * n : 0, n, out);
                }
                return;
            }
            if (gu != null) {
                float[] both = hf(gu); // [2I, H]: gate rows then up rows (one expert: far below 2^31 elements)
                int half = both.length / 2;
                if (fused) {
                    SafetensorsWriter.writeFloats(out, both, 0, both.length, t.dtype());
                } else {
                    SafetensorsWriter.writeFloats(out, both, which == 0 ? 0 : half, half, t.dtype());
                }
            } else {
                long n = (fused ? 2 : 1) * inter * h * t.dtype().size();
                copy(t, fused ? e * n : 0, n, out);
            }
        }

        private void writeShared(int layer, int which, TensorInfo t, FileChannel out) throws IOException {
            MoeOverride ov = override(layer);
            NDArray arr = which == 2 ? ov.sharedDownT() : ov.sharedGateUpT();
            if (arr == null) {
                copy(t, 0, t.byteSize(), out);
                return;
            }
            float[] v = hf(arr);
            if (which != 2) {
                int half = v.length / 2;
                v = java.util.Arrays.copyOfRange(v, which == 0 ? 0 : half, which == 0 ? half : 2 * half);
            }
            SafetensorsWriter.writeFloats(out, v, 0, v.length, t.dtype());
        }

        /** A compute-layout weight [in, out] back in Hugging Face layout [out, in], as floats. */
        private static float[] hf(NDArray computeLayout) {
            try (NDArray t = computeLayout.transpose()) {
                return dev.moefrontier.harness.model.HostArrays.floats(t);
            }
        }

        private void copy(TensorInfo t, long offset, long len, FileChannel out) throws IOException {
            int chunk = 1 << 24;
            for (long o = 0; o < len; o += chunk) {
                int n = (int) Math.min(chunk, len - o);
                ByteBuffer b = ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
                ckpt.fileOf(t).readRawRange(t, offset + o, b);
                SafetensorsWriter.writeAll(out, b.flip());
            }
        }
    }
}
