package dev.moefrontier.harness.io;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.ByteBuffer;
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
    private final Map<Path, ContentDigest> digests = new java.util.concurrent.ConcurrentHashMap<>();
    private String fingerprint;

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
     * The files besides the tensors that decide what a model computes: its config (canonicalized, so key order and
     * whitespace do not matter) and its tokenizer.
     */
    public static final List<String> DEFINING_FILES = List.of("config.json", "tokenizer.json", "tokenizer_config.json",
            "special_tokens_map.json", "vocab.json", "merges.txt", "tokenizer.model", "added_tokens.json");

    /**
     * The content fingerprint every cache is keyed by: SHA-256 over the canonical config, the tokenizer files and the
     * SHA-256 of every byte of every safetensors file (remembered per file by {@link ContentDigest}). Any edit to any of
     * them, anywhere in the data, changes it.
     */
    public synchronized String fingerprint() {
        if (fingerprint == null) {
            MessageDigest md = sha256();
            for (String name : DEFINING_FILES) {
                Path f = dir.resolve(name);
                if (!Files.isRegularFile(f)) {
                    continue;
                }
                md.update((name + ":").getBytes(StandardCharsets.UTF_8));
                md.update(name.equals("config.json") ? canonicalJson(f) : readBytes(f)); // tokenizer files: exact bytes
                md.update((byte) 0);
            }
            for (SafetensorsFile f : files) {
                ContentDigest d = digest(f, false);
                md.update((f.path().getFileName() + ":" + d.sha256() + ";").getBytes(StandardCharsets.UTF_8));
            }
            fingerprint = HexFormat.of().formatHex(md.digest()).substring(0, 24);
        }
        return fingerprint;
    }

    /**
     * Refuses a checkpoint holding NaN or ±Inf in any floating-point tensor, naming the file, tensor and element.
     * The scan runs with the content hash (one pass) and is remembered with it.
     *
     * @return seconds spent scanning (0 when every file's result was remembered)
     */
    public double verifyFinite() {
        long t0 = System.nanoTime();
        boolean computed = false;
        for (SafetensorsFile f : files) {
            boolean known = digests.containsKey(f.path()) && digests.get(f.path()).scanned();
            ContentDigest d = digest(f, true);
            computed |= !known;
            if (d.nonFinite() != null) {
                ContentDigest.Location at = d.nonFinite();
                throw CheckpointException.of(f.path(), at.tensor(), "holds " + d.nonFiniteCount() + " non-finite value"
                        + (d.nonFiniteCount() == 1 ? "" : "s") + ", the first " + at.value() + " at flat index " + at.index()
                        + " (the checkpoint is corrupt; --skip-weight-scan skips this check)");
            }
        }
        return computed ? (System.nanoTime() - t0) / 1e9 : 0;
    }

    private ContentDigest digest(SafetensorsFile f, boolean scan) {
        ContentDigest d = digests.get(f.path());
        if (d == null || (scan && !d.scanned())) {
            d = ContentDigest.of(f, scan, ContentDigest.defaultRoot());
            digests.put(f.path(), d);
        }
        return d;
    }

    private static byte[] readBytes(Path f) {
        try {
            return Files.readAllBytes(f);
        } catch (IOException e) {
            throw CheckpointException.of(f, "cannot read: " + e.getMessage());
        }
    }

    /** The JSON file with object keys sorted and no whitespace. */
    private static byte[] canonicalJson(Path f) {
        try {
            JsonElement el = JsonParser.parseString(Files.readString(f, StandardCharsets.UTF_8));
            return canonical(el).toString().getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw CheckpointException.of(f, "cannot read: " + e.getMessage());
        } catch (JsonParseException e) {
            throw CheckpointException.of(f, "not valid JSON: " + String.valueOf(e.getMessage()).replace('\n', ' '));
        }
    }

    private static JsonElement canonical(JsonElement el) {
        if (el.isJsonObject()) {
            JsonObject sorted = new JsonObject();
            for (Map.Entry<String, JsonElement> e : new TreeMap<>(el.getAsJsonObject().asMap()).entrySet()) {
                sorted.add(e.getKey(), canonical(e.getValue()));
            }
            return sorted;
        }
        if (el.isJsonArray()) {
            com.google.gson.JsonArray a = new com.google.gson.JsonArray();
            el.getAsJsonArray().forEach(x -> a.add(canonical(x)));
            return a;
        }
        return el;
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
