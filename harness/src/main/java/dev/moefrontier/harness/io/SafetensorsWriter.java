package dev.moefrontier.harness.io;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes safetensors files: tensors in the order added, {@code __metadata__} first, header padded with spaces to a
 * multiple of 8 bytes. Data is streamed, so a writer holds one tensor at a time. The file appears atomically
 * (written to a temporary file, then renamed), so an error never leaves a partial file behind.
 */
public final class SafetensorsWriter {

    /** Produces a tensor's bytes (little-endian, in the entry's dtype) on demand. */
    @FunctionalInterface
    public interface Payload {
        /** Writes exactly the entry's byte size to {@code out}. */
        void writeTo(FileChannel out) throws IOException;
    }

    private record Entry(String name, DType dtype, long[] shape, Payload payload) {}

    private final Map<String, String> metadata = new LinkedHashMap<>();
    private final List<Entry> entries = new ArrayList<>();
    private final java.util.Set<String> names = new java.util.HashSet<>();

    public SafetensorsWriter() {
        metadata.put("format", "pt");
    }

    /** Replaces the {@code __metadata__} map (string values only). */
    public SafetensorsWriter metadata(Map<String, String> meta) {
        metadata.clear();
        metadata.putAll(meta);
        return this;
    }

    /** Adds a tensor whose bytes are produced by {@code payload}. */
    public SafetensorsWriter add(String name, DType dtype, long[] shape, Payload payload) {
        if (!names.add(name)) {
            throw new IllegalArgumentException("duplicate tensor name " + name);
        }
        entries.add(new Entry(name, dtype, shape.clone(), payload));
        return this;
    }

    /** Adds float32 values stored as {@code dtype} (F32, F16 or BF16; narrowing rounds to nearest even). */
    public SafetensorsWriter addFloats(String name, DType dtype, long[] shape, float[] values) {
        if (TensorInfo.numel(shape) != values.length) {
            throw new IllegalArgumentException(name + ": " + values.length + " values for shape " + java.util.Arrays.toString(shape));
        }
        return add(name, dtype, shape, out -> writeFloats(out, values, 0, values.length, dtype));
    }

    /** Adds float64 values (F64). */
    public SafetensorsWriter addDoubles(String name, long[] shape, double[] values) {
        if (TensorInfo.numel(shape) != values.length) {
            throw new IllegalArgumentException(name + ": " + values.length + " values for shape " + java.util.Arrays.toString(shape));
        }
        return add(name, DType.F64, shape, out -> {
            for (int o = 0; o < values.length; o += CHUNK) {
                int c = Math.min(CHUNK, values.length - o);
                ByteBuffer b = ByteBuffer.allocate(c * 8).order(ByteOrder.LITTLE_ENDIAN);
                b.asDoubleBuffer().put(values, o, c);
                writeAll(out, b);
            }
        });
    }

    /** Adds a raw copy of tensor {@code t} of an open file (any dtype), byte for byte, in chunks. */
    public SafetensorsWriter addCopy(String name, SafetensorsFile file, TensorInfo t) {
        return add(name, t.dtype(), t.shape(), out -> {
            long len = t.byteSize();
            ByteBuffer b = ByteBuffer.allocate((int) Math.min(len, CHUNK * 4L));
            for (long o = 0; o < len; o += b.capacity()) {
                b.clear().limit((int) Math.min(b.capacity(), len - o));
                file.readRawRange(t, o, b);
                writeAll(out, b.flip());
            }
        });
    }

    /** Elements per encoding chunk: every buffer stays far below 2 GiB whatever the tensor's size. */
    static final int CHUNK = 1 << 22;

    /** Writes {@code values[from, from + count)} as {@code dtype}, little-endian, chunk by chunk. */
    public static void writeFloats(FileChannel out, float[] values, int from, int count, DType dtype) throws IOException {
        for (int o = 0; o < count; o += CHUNK) {
            int c = Math.min(CHUNK, count - o);
            writeAll(out, encode(values, from + o, c, dtype));
        }
    }

    /** Encodes float32 values little-endian as F32, F16 or BF16 (at most {@link #CHUNK}-sized pieces in practice). */
    public static ByteBuffer encode(float[] values, DType dtype) {
        return encode(values, 0, values.length, dtype);
    }

    /** Encodes {@code values[from, from + count)}. */
    public static ByteBuffer encode(float[] values, int from, int count, DType dtype) {
        ByteBuffer b = ByteBuffer.allocate(Math.multiplyExact(count, dtype.size())).order(ByteOrder.LITTLE_ENDIAN);
        switch (dtype) {
            case F32 -> b.asFloatBuffer().put(values, from, count);
            case BF16 -> {
                for (int i = 0; i < count; i++) {
                    b.putShort(i * 2, Widening.floatToBf16Bits(values[from + i]));
                }
            }
            case F16 -> {
                for (int i = 0; i < count; i++) {
                    b.putShort(i * 2, Widening.floatToHalfBits(values[from + i]));
                }
            }
            default -> throw new IllegalArgumentException("cannot encode floats as " + dtype);
        }
        return b;
    }

    /** The header JSON (before padding) for the entries added so far. */
    String headerJson() {
        JsonObject root = new JsonObject();
        if (!metadata.isEmpty()) {
            JsonObject meta = new JsonObject();
            metadata.forEach(meta::addProperty);
            root.add("__metadata__", meta);
        }
        long offset = 0;
        for (Entry e : entries) {
            long size = Math.multiplyExact(TensorInfo.numel(e.shape()), e.dtype().size());
            JsonObject o = new JsonObject();
            o.addProperty("dtype", e.dtype().name());
            JsonArray shape = new JsonArray();
            for (long d : e.shape()) {
                shape.add(d);
            }
            o.add("shape", shape);
            JsonArray offs = new JsonArray();
            offs.add(offset);
            offs.add(offset + size);
            o.add("data_offsets", offs);
            root.add(e.name(), o);
            offset += size;
        }
        return root.toString();
    }

    /** Writes the file atomically. */
    public void write(Path file) throws IOException {
        byte[] json = headerJson().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded);
        head.put(json);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        head.flip();
        dev.moefrontier.harness.util.AtomicFiles.write(file, tmp -> {
            try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                writeAll(out, head);
                for (Entry e : entries) {
                    long before = out.position();
                    e.payload().writeTo(out);
                    long want = TensorInfo.numel(e.shape()) * e.dtype().size();
                    if (out.position() - before != want) {
                        throw new IOException("tensor '" + e.name() + "' wrote " + (out.position() - before) + " bytes, expected " + want);
                    }
                }
                out.force(true);
            }
        });
    }

    /** Writes every remaining byte of {@code b}. */
    public static void writeAll(FileChannel out, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            out.write(b);
        }
    }
}
