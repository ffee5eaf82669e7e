package dev.moefrontier.harness.io;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes the tensors of a checkpoint directory: one {@code model.safetensors}, or, when a shard size is set and
 * exceeded, {@code model-0000i-of-0000n.safetensors} shards plus {@code model.safetensors.index.json} (written last, so
 * an interrupted write never looks like a complete checkpoint). Tensor data is streamed from payloads.
 */
public final class CheckpointWriter {
    private record Entry(String name, DType dtype, long[] shape, SafetensorsWriter.Payload payload, long bytes) {}

    private final long maxShardBytes;
    private final List<Entry> entries = new ArrayList<>();

    /** One file. */
    public CheckpointWriter() {
        this(Long.MAX_VALUE);
    }

    /** Shards of at most {@code maxShardBytes} of tensor data each (a larger tensor gets a shard of its own). */
    public CheckpointWriter(long maxShardBytes) {
        this.maxShardBytes = maxShardBytes;
    }

    public CheckpointWriter add(String name, DType dtype, long[] shape, SafetensorsWriter.Payload payload) {
        entries.add(new Entry(name, dtype, shape.clone(), payload, TensorInfo.numel(shape) * dtype.size()));
        return this;
    }

    /** Total bytes of tensor data. */
    public long totalBytes() {
        long n = 0;
        for (Entry e : entries) {
            n += e.bytes();
        }
        return n;
    }

    /** Writes into {@code dir} (created if needed); returns the files written. */
    public List<Path> write(Path dir) throws IOException {
        Files.createDirectories(dir);
        List<List<Entry>> shards = new ArrayList<>();
        List<Entry> cur = new ArrayList<>();
        long size = 0;
        for (Entry e : entries) {
            if (!cur.isEmpty() && size + e.bytes() > maxShardBytes) {
                shards.add(cur);
                cur = new ArrayList<>();
                size = 0;
            }
            cur.add(e);
            size += e.bytes();
        }
        shards.add(cur);
        List<Path> written = new ArrayList<>();
        if (shards.size() == 1) {
            Path f = dir.resolve(Checkpoint.SINGLE);
            toWriter(shards.get(0)).write(f);
            written.add(f);
            return written;
        }
        JsonObject weightMap = new JsonObject();
        int n = shards.size();
        for (int i = 0; i < n; i++) {
            String name = String.format("model-%05d-of-%05d.safetensors", i + 1, n);
            Path f = dir.resolve(name);
            toWriter(shards.get(i)).write(f);
            written.add(f);
            for (Entry e : shards.get(i)) {
                weightMap.addProperty(e.name(), name);
            }
        }
        JsonObject index = new JsonObject();
        JsonObject meta = new JsonObject();
        meta.addProperty("total_size", totalBytes());
        index.add("metadata", meta);
        index.add("weight_map", weightMap);
        Path idx = dir.resolve(Checkpoint.INDEX);
        dev.moefrontier.harness.util.AtomicFiles.writeString(idx, new GsonBuilder().setPrettyPrinting().create().toJson(index));
        written.add(idx);
        return written;
    }

    private static SafetensorsWriter toWriter(List<Entry> shard) {
        SafetensorsWriter w = new SafetensorsWriter();
        for (Entry e : shard) {
            w.add(e.name(), e.dtype(), e.shape(), e.payload());
        }
        return w;
    }
}
