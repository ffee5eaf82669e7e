package dev.moefrontier.harness.io;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One safetensors file: an 8-byte little-endian header length N, N bytes of JSON header, then the data.
 * Opening validates the whole header (length bounded and inside the file, every entry well formed, offsets
 * inside the data section, consistent with dtype × shape, and not overlapping). Tensor data is read through
 * short-lived memory maps of just the bytes asked for, widened to float32 in Java (DJL's PyTorch engine
 * aborts on BF16 tensors) and unmapped at once.
 */
public final class SafetensorsFile implements AutoCloseable {
    /** Elements per memory-mapped window (256 Mi: at most 1 GiB of F32 data per mapping). */
    static final int MAP_ELEMENTS = 1 << 28;
    /** Elements per staging buffer of the whole-tensor reads (16 Mi: 64 MiB of floats, 128 MiB of doubles). */
    static final int STAGE_ELEMENTS = 1 << 24;
    /** The largest Java array length. */
    static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

    /** The reference implementation's bound on the header size. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    private final Path path;
    private final FileChannel channel;
    private final long fileSize;
    private final long dataStart;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path path, FileChannel channel, long fileSize, long dataStart,
            Map<String, TensorInfo> tensors, Map<String, String> metadata) {
        this.path = path;
        this.channel = channel;
        this.fileSize = fileSize;
        this.dataStart = dataStart;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /** Opens and validates a file. */
    public static SafetensorsFile open(Path path) {
        FileChannel ch;
        try {
            ch = FileChannel.open(path, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw CheckpointException.of(path, "no such file");
        } catch (IOException e) {
            throw CheckpointException.of(path, "cannot open: " + e.getMessage());
        }
        try {
            return parse(path, ch);
        } catch (RuntimeException e) {
            closeQuietly(ch);
            throw e;
        }
    }

    private static SafetensorsFile parse(Path path, FileChannel ch) {
        try {
            long size = ch.size();
            if (size < 8) {
                throw CheckpointException.of(path, "truncated: " + size + " bytes, need at least 8 for the header length");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long n = lenBuf.getLong(0);
            if (n < 2 || n > MAX_HEADER_BYTES) {
                throw CheckpointException.of(path, "header length " + Long.toUnsignedString(n)
                        + " is outside the allowed range 2.." + MAX_HEADER_BYTES + " (not a safetensors file?)");
            }
            if (8 + n > size) {
                throw CheckpointException.of(path, "header length " + n + " points past the end of the file ("
                        + size + " bytes): file truncated?");
            }
            ByteBuffer hdr = ByteBuffer.allocate((int) n);
            readFully(ch, hdr, 8);
            String json = new String(hdr.array(), StandardCharsets.UTF_8);
            JsonElement root;
            try {
                root = JsonParser.parseString(json);
            } catch (JsonParseException e) {
                throw CheckpointException.of(path, "header is not valid JSON: " + oneLine(e.getMessage()));
            }
            if (!root.isJsonObject()) {
                throw CheckpointException.of(path, "header is not a JSON object");
            }
            long dataStart = 8 + n;
            long dataLen = size - dataStart;
            Map<String, TensorInfo> tensors = new LinkedHashMap<>();
            Map<String, String> metadata = new LinkedHashMap<>();
            for (Map.Entry<String, JsonElement> e : root.getAsJsonObject().entrySet()) {
                String name = e.getKey();
                if (name.equals("__metadata__")) {
                    readMetadata(path, e.getValue(), metadata);
                    continue;
                }
                tensors.put(name, readEntry(path, name, e.getValue(), dataLen));
            }
            checkOverlaps(path, tensors.values());
            return new SafetensorsFile(path, ch, size, dataStart,
                    Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(metadata));
        } catch (IOException e) {
            throw CheckpointException.of(path, "read error: " + e.getMessage());
        }
    }

    private static void readMetadata(Path path, JsonElement el, Map<String, String> out) {
        if (!el.isJsonObject()) {
            throw CheckpointException.of(path, "__metadata__ is not a JSON object");
        }
        for (Map.Entry<String, JsonElement> m : el.getAsJsonObject().entrySet()) {
            if (!m.getValue().isJsonPrimitive() || !m.getValue().getAsJsonPrimitive().isString()) {
                throw CheckpointException.of(path, "__metadata__ value for '" + m.getKey() + "' is not a string");
            }
            out.put(m.getKey(), m.getValue().getAsString());
        }
    }

    private static TensorInfo readEntry(Path path, String name, JsonElement el, long dataLen) {
        if (!el.isJsonObject()) {
            throw CheckpointException.of(path, name, "header entry is not a JSON object");
        }
        JsonObject o = el.getAsJsonObject();
        JsonElement dt = o.get("dtype");
        if (dt == null || !dt.isJsonPrimitive() || !dt.getAsJsonPrimitive().isString()) {
            throw CheckpointException.of(path, name, "missing or non-string 'dtype'");
        }
        DType dtype = DType.parse(dt.getAsString());
        if (dtype == null) {
            throw CheckpointException.of(path, name, "unknown dtype '" + dt.getAsString() + "'");
        }
        long[] shape = longArray(path, name, o.get("shape"), "shape", -1);
        long[] offs = longArray(path, name, o.get("data_offsets"), "data_offsets", 2);
        for (long d : shape) {
            if (d < 0) {
                throw CheckpointException.of(path, name, "negative dimension in shape " + java.util.Arrays.toString(shape));
            }
        }
        long begin = offs[0];
        long end = offs[1];
        if (begin < 0 || end < begin) {
            throw CheckpointException.of(path, name, "invalid data_offsets [" + begin + ", " + end + "]");
        }
        if (end > dataLen) {
            throw CheckpointException.of(path, name, "data_offsets [" + begin + ", " + end + "] run past the end of the data ("
                    + dataLen + " bytes): file truncated?");
        }
        long expected;
        try {
            expected = Math.multiplyExact(TensorInfo.numel(shape), dtype.size());
        } catch (ArithmeticException ex) {
            throw CheckpointException.of(path, name, "shape " + java.util.Arrays.toString(shape) + " overflows");
        }
        if (end - begin != expected) {
            throw CheckpointException.of(path, name, "data_offsets span " + (end - begin) + " bytes but " + dtype + " "
                    + java.util.Arrays.toString(shape) + " needs " + expected);
        }
        return new TensorInfo(name, dtype, shape, begin, end, path);
    }

    private static long[] longArray(Path path, String name, JsonElement el, String key, int len) {
        if (el == null || !el.isJsonArray()) {
            throw CheckpointException.of(path, name, "missing or non-array '" + key + "'");
        }
        JsonArray a = el.getAsJsonArray();
        if (len >= 0 && a.size() != len) {
            throw CheckpointException.of(path, name, "'" + key + "' must have " + len + " entries, has " + a.size());
        }
        long[] out = new long[a.size()];
        for (int i = 0; i < out.length; i++) {
            JsonElement v = a.get(i);
            try {
                if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isNumber()) {
                    throw new NumberFormatException();
                }
                out[i] = new java.math.BigDecimal(v.getAsString()).longValueExact();
            } catch (NumberFormatException | ArithmeticException ex) {
                throw CheckpointException.of(path, name, "'" + key + "' entry " + v + " is not an integer");
            }
        }
        return out;
    }

    private static void checkOverlaps(Path path, java.util.Collection<TensorInfo> infos) {
        List<TensorInfo> sorted = new ArrayList<>(infos);
        sorted.removeIf(t -> t.byteSize() == 0);
        sorted.sort(Comparator.comparingLong(TensorInfo::begin));
        for (int i = 1; i < sorted.size(); i++) {
            TensorInfo a = sorted.get(i - 1);
            TensorInfo b = sorted.get(i);
            if (b.begin() < a.end()) {
                throw CheckpointException.of(path, b.name(), "data_offsets [" + b.begin() + ", " + b.end()
                        + "] overlap tensor '" + a.name() + "' [" + a.begin() + ", " + a.end() + "]");
            }
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
        while (buf.hasRemaining()) {
            int r = ch.read(buf, pos + buf.position());
            if (r < 0) {
                throw new IOException("unexpected end of file");
            }
        }
        buf.flip();
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replace('\n', ' ');
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }

    public Path path() {
        return path;
    }

    public long fileSize() {
        return fileSize;
    }

    /** Absolute offset of the data section (8 + header length). */
    public long dataStart() {
        return dataStart;
    }

    /** Tensors in header order. */
    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    /** The {@code __metadata__} map (empty when absent). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * Copies elements {@code [offset, offset + count)} of tensor {@code t} (row-major), widened to float32, into
     * {@code dst} at its position, advancing it. {@code dst} must be in native byte order.
     */
    public void readFloats(TensorInfo t, long offset, int count, ByteBuffer dst) {
        if (!t.dtype().loadable()) {
            throw CheckpointException.of(path, t.name(), "dtype " + t.dtype() + " is not supported (F32, F16 and BF16 are)");
        }
        if (offset < 0 || count < 0 || offset + count > t.numel()) {
            throw new IndexOutOfBoundsException(t.name() + ": elements [" + offset + ", " + (offset + count)
                    + ") outside " + t.numel());
        }
        if (dst.order() != ByteOrder.nativeOrder() || dst.remaining() < (long) count * 4) {
            throw new IllegalArgumentException("destination must be native-order with room for " + count + " floats");
        }
        if (count == 0) {
            return;
        }
        // Mapped in windows of at most MAP_ELEMENTS, so no mapping approaches the 2 GiB limit of a MappedByteBuffer.
        int es = t.dtype().size();
        for (long o = 0; o < count; o += MAP_ELEMENTS) {
            int c = (int) Math.min(MAP_ELEMENTS, count - o);
            long start = dataStart + t.begin() + (offset + o) * es;
            MappedByteBuffer map;
            try {
                map = channel.map(FileChannel.MapMode.READ_ONLY, start, (long) c * es);
            } catch (IOException e) {
                throw CheckpointException.of(path, t.name(), "cannot map data: " + e.getMessage());
            }
            try {
                map.order(ByteOrder.LITTLE_ENDIAN);
                Widening.toFloat32(map, t.dtype(), c, dst);
            } finally {
                Unmapper.unmap(map);
            }
        }
    }

    /** Reads a whole tensor as float32 (for small tensors and tests; a Java array holds at most 2^31 − 9 floats). */
    public float[] readFloats(TensorInfo t) {
        long n = t.numel();
        if (n > MAX_ARRAY) {
            throw CheckpointException.of(path, t.name(), n + " elements do not fit one Java array; read the tensor in parts");
        }
        float[] out = new float[(int) n];
        ByteBuffer buf = ByteBuffer.allocateDirect((int) Math.min(n, STAGE_ELEMENTS) * 4).order(ByteOrder.nativeOrder());
        try {
            for (long o = 0; o < n; o += STAGE_ELEMENTS) {
                int c = (int) Math.min(STAGE_ELEMENTS, n - o);
                buf.clear();
                readFloats(t, o, c, buf);
                buf.flip();
                buf.asFloatBuffer().get(out, (int) o, c);
            }
        } finally {
            Unmapper.unmap(buf);
        }
        return out;
    }

    /** Reads an F64 tensor (used for statistics caches, where sums keep double precision). */
    public double[] readDoubles(TensorInfo t) {
        if (t.dtype() != DType.F64) {
            throw CheckpointException.of(path, t.name(), "expected F64, found " + t.dtype());
        }
        long n = t.numel();
        if (n > MAX_ARRAY) {
            throw CheckpointException.of(path, t.name(), n + " elements do not fit one Java array");
        }
        double[] out = new double[(int) n];
        ByteBuffer b = ByteBuffer.allocate((int) Math.min(n, STAGE_ELEMENTS) * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long o = 0; o < n; o += STAGE_ELEMENTS) {
            int c = (int) Math.min(STAGE_ELEMENTS, n - o);
            b.clear().limit(c * 8);
            readRawRange(t, o * 8, b);
            b.flip();
            b.asDoubleBuffer().get(out, (int) o, c);
        }
        return out;
    }

    /** Copies {@code dst.remaining()} raw bytes of a tensor starting {@code byteOffset} bytes into its data. */
    public void readRawRange(TensorInfo t, long byteOffset, ByteBuffer dst) {
        long len = dst.remaining();
        if (byteOffset < 0 || byteOffset + len > t.byteSize()) {
            throw new IndexOutOfBoundsException(t.name() + ": bytes [" + byteOffset + ", " + (byteOffset + len) + ") outside " + t.byteSize());
        }
        if (len == 0) {
            return;
        }
        MappedByteBuffer map;
        try {
            map = channel.map(FileChannel.MapMode.READ_ONLY, dataStart + t.begin() + byteOffset, len);
        } catch (IOException e) {
            throw CheckpointException.of(path, t.name(), "cannot map data: " + e.getMessage());
        }
        try {
            dst.put(map);
        } finally {
            Unmapper.unmap(map);
        }
    }

    /** Copies the raw bytes of a tensor (any dtype) into {@code dst} (which, being one buffer, holds under 2 GiB). */
    public void readRaw(TensorInfo t, ByteBuffer dst) {
        if (dst.remaining() < t.byteSize()) {
            throw new IllegalArgumentException("destination too small for " + t.name() + " (" + t.byteSize() + " bytes)");
        }
        ByteBuffer d = dst.duplicate();
        d.limit(d.position() + (int) t.byteSize());
        readRawRange(t, 0, d);
        dst.position(d.position());
    }

    @Override
    public void close() {
        closeQuietly(channel);
    }
}
