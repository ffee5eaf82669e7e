package dev.moefrontier.harness.io;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The tensors of a Hugging Face checkpoint directory: a single {@code model.safetensors} or shards listed by
 * {@code model.safetensors.index.json}. Pickle checkpoints ({@code pytorch_model.bin}) are refused.
 */
public final class Checkpoint implements AutoCloseable {
    public static final String SINGLE = "model.safetensors";
    public static final String INDEX = "model.safetensors.index.json";

    private final Path dir;
    private final List<SafetensorsFile> files;
    private final Map<String, TensorInfo> tensors;
    private final Map<Path, SafetensorsFile> byPath;

    private Checkpoint(Path dir, List<SafetensorsFile> files, Map<String, TensorInfo> tensors) {
        this.dir = dir;
        this.files = files;
        this.tensors = tensors;
        this.byPath = new LinkedHashMap<>();
        for (SafetensorsFile f : files) {
            byPath.put(f.path(), f);
        }
    }

    /** Opens the checkpoint in {@code dir}, validating every file header (and the index, when sharded). */
    public static Checkpoint open(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw CheckpointException.of(dir, "not a directory");
        }
        Path index = dir.resolve(INDEX);
        Path single = dir.resolve(SINGLE);
        if (Files.exists(index)) {
            return openSharded(dir, index);
        }
        if (Files.exists(single)) {
            SafetensorsFile f = SafetensorsFile.open(single);
            return new Checkpoint(dir, List.of(f), f.tensors());
        }
        if (Files.exists(dir.resolve("pytorch_model.bin")) || Files.exists(dir.resolve("pytorch_model.bin.index.json"))) {
            throw CheckpointException.of(dir, "pytorch_model.bin (pickle) checkpoints are not supported: unpickling can run"
                    + " arbitrary code and needs Python; convert once with transformers'"
                    + " save_pretrained(out_dir, safe_serialization=True) and point --model at out_dir");
        }
        throw CheckpointException.of(dir, "no " + SINGLE + " or " + INDEX + " found");
    }

    private static Checkpoint openSharded(Path dir, Path index) {
        JsonObject root;
        try {
            JsonElement el = JsonParser.parseString(Files.readString(index, StandardCharsets.UTF_8));
            if (!el.isJsonObject()) {
                throw CheckpointException.of(index, "not a JSON object");
            }
            root = el.getAsJsonObject();
        } catch (IOException e) {
            throw CheckpointException.of(index, "cannot read: " + e.getMessage());
        } catch (JsonParseException e) {
            throw CheckpointException.of(index, "not valid JSON: " + String.valueOf(e.getMessage()).replace('\n', ' '));
        }
        JsonElement wm = root.get("weight_map");
        if (wm == null || !wm.isJsonObject()) {
            throw CheckpointException.of(index, "missing 'weight_map' object");
        }
        Map<String, String> weightMap = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> e : wm.getAsJsonObject().entrySet()) {
            if (!e.getValue().isJsonPrimitive()) {
                throw CheckpointException.of(index, "weight_map entry for '" + e.getKey() + "' is not a file name");
            }
            String shard = e.getValue().getAsString();
            if (shard.contains("/") || shard.contains("\\") || shard.equals("..")) {
                throw CheckpointException.of(index, "weight_map entry for '" + e.getKey() + "' names a path outside the directory: " + shard);
            }
            weightMap.put(e.getKey(), shard);
        }
        Map<String, SafetensorsFile> shards = new TreeMap<>();
        List<SafetensorsFile> opened = new ArrayList<>();
        try {
            for (String shard : new java.util.TreeSet<>(weightMap.values())) {
                SafetensorsFile f = SafetensorsFile.open(dir.resolve(shard));
                opened.add(f);
                shards.put(shard, f);
            }
            Map<String, TensorInfo> tensors = new LinkedHashMap<>();
            for (Map.Entry<String, String> e : weightMap.entrySet()) {
                SafetensorsFile f = shards.get(e.getValue());
                TensorInfo t = f.tensors().get(e.getKey());
                if (t == null) {
                    throw CheckpointException.of(index, "weight_map places '" + e.getKey() + "' in " + e.getValue()
                            + " but that shard has no such tensor");
                }
                tensors.put(e.getKey(), t);
            }
            for (SafetensorsFile f : opened) {
                for (String name : f.tensors().keySet()) {
                    if (!weightMap.containsKey(name)) {
                        throw CheckpointException.of(f.path(), name, "present in the shard but missing from " + INDEX);
                    }
                    if (!weightMap.get(name).equals(f.path().getFileName().toString())) {
                        throw CheckpointException.of(f.path(), name, "also stored in " + weightMap.get(name) + " (duplicate tensor)");
                    }
                }
            }
            return new Checkpoint(dir, opened, Collections.unmodifiableMap(tensors));
        } catch (RuntimeException e) {
            opened.forEach(SafetensorsFile::close);
            throw e;
        }
    }

    public Path dir() {
        return dir;
    }

    /** All tensors, by name. */
    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    public Set<String> names() {
        return tensors.keySet();
    }

    /** The tensor's header entry; throws a one-line error naming the checkpoint when absent. */
    public TensorInfo info(String name) {
        TensorInfo t = tensors.get(name);
        if (t == null) {
            throw CheckpointException.of(dir, name, "missing from the checkpoint");
        }
        return t;
    }

    public boolean has(String name) {
        return tensors.containsKey(name);
    }

    /** The open file that holds {@code t}. */
    public SafetensorsFile fileOf(TensorInfo t) {
        return byPath.get(t.file());
    }

    public List<SafetensorsFile> files() {
        return files;
    }

    /** Reads a whole tensor as float32. */
    public float[] readFloats(String name) {
        TensorInfo t = info(name);
        return fileOf(t).readFloats(t);
    }

    /** Reads elements [offset, offset+count) of a tensor as float32 into a native-order buffer. */
    public void readFloats(TensorInfo t, long offset, int count, ByteBuffer dst) {
        fileOf(t).readFloats(t, offset, count, dst);
    }

    /** Total size of the safetensors files in bytes. */
    public long totalBytes() {
        long n = 0;
        for (SafetensorsFile f : files) {
            n += f.fileSize();
        }
        return n;
    }

    /**
     * A content fingerprint for caches: SHA-256 over every header (names, dtypes, shapes, offsets), file sizes and a
     * sample of each tensor's bytes (first and last 64). Cheap on multi-GB checkpoints, and it changes when weights are
     * rewritten in place with different values in those samples; use {@link #fullDigest()} for exactness.
     */
    public String fingerprint() {
        MessageDigest md = sha256();
        ByteBuffer tmp = ByteBuffer.allocate(128).order(ByteOrder.LITTLE_ENDIAN);
        for (TensorInfo t : new TreeMap<>(tensors).values()) {
            md.update((t.name() + "|" + t.dtype() + "|" + t.shapeString() + "|" + t.byteSize() + ";").getBytes(StandardCharsets.UTF_8));
            long n = t.byteSize();
            SafetensorsFile f = fileOf(t);
            if (n <= 128) {
                ByteBuffer b = ByteBuffer.allocate((int) n);
                f.readRaw(t, b);
                md.update(b.flip());
            } else {
                tmp.clear();
                f.readRaw(new TensorInfo(t.name(), DType.U8, new long[] {64}, t.begin(), t.begin() + 64, t.file()), tmp);
                f.readRaw(new TensorInfo(t.name(), DType.U8, new long[] {64}, t.end() - 64, t.end(), t.file()), tmp);
                md.update(tmp.flip());
            }
        }
        return HexFormat.of().formatHex(md.digest()).substring(0, 16);
    }

    /** SHA-256 of every safetensors file's bytes, in file-name order. */
    public String fullDigest() {
        MessageDigest md = sha256();
        for (SafetensorsFile f : files) {
            try (var in = Files.newInputStream(f.path())) {
                byte[] buf = new byte[1 << 20];
                int r;
                while ((r = in.read(buf)) > 0) {
                    md.update(buf, 0, r);
                }
            } catch (IOException e) {
                throw CheckpointException.of(f.path(), "read error: " + e.getMessage());
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        files.forEach(SafetensorsFile::close);
    }
}
