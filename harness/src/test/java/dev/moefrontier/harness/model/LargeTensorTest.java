package dev.moefrontier.harness.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.moefrontier.harness.io.Checkpoint;
import dev.moefrontier.harness.io.DType;
import dev.moefrontier.harness.io.SafetensorsFile;
import dev.moefrontier.harness.io.SafetensorsWriter;
import dev.moefrontier.harness.io.TensorInfo;
import dev.moefrontier.harness.runtime.Engines;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A BF16 tensor just past 2^31 bytes (4.3 GB once widened) through every stage: read, widen, one NDArray, slice, write
 * back and reread, with values checked at both ends and at the 2^31 boundaries of the file and of the float32 copy.
 */
@org.junit.jupiter.api.Tag("slow") // child JVMs, GB-sized tensors or whole sweeps: excluded by -Pfast
class LargeTensorTest {
    static final long ROWS = (1 << 16) + 1;
    static final long COLS = 1 << 14;
    static final long N = ROWS * COLS; // 1,073,758,208 elements, 2,147,516,416 bytes in BF16

    @TempDir
    Path tmp;

    /** A deterministic, finite BF16 value for every element index. */
    static short bf16(long i) {
        int sign = i % 7 == 0 ? 0x8000 : 0;
        int exp = 112 + (int) (i % 23); // 2^-15 .. 2^7
        int mant = (int) ((i * 2654435761L) >>> 9) & 0x7F;
        return (short) (sign | exp << 7 | mant);
    }

    static float value(long i) {
        return Float.intBitsToFloat((bf16(i) & 0xFFFF) << 16);
    }

    /** Writes the generator's values (as BF16) in chunks. */
    static void writeGenerated(Path file) throws IOException {
        new SafetensorsWriter().add("big", DType.BF16, new long[] {ROWS, COLS}, out -> {
            ByteBuffer b = ByteBuffer.allocate(1 << 24).order(ByteOrder.LITTLE_ENDIAN);
            for (long o = 0; o < N; ) {
                b.clear();
                while (b.hasRemaining() && o < N) {
                    b.putShort(bf16(o++));
                }
                SafetensorsWriter.writeAll(out, b.flip());
            }
        }).write(file);
    }

    @Test
    void aTensorPastTwoGibibytesSurvivesReadWidenNdarraySliceWriteAndReread() throws IOException {
        Path dir = tmp.resolve("big");
        Files.createDirectories(dir);
        writeGenerated(dir.resolve("model.safetensors"));
        long[] probes = {0, 1, (1L << 29) - 1, 1L << 29, (1L << 29) + 1, (1L << 30) - 1, 1L << 30, (1L << 30) + 1, N - COLS, N - 1};
        Path back = tmp.resolve("back.safetensors");
        try (Checkpoint c = Checkpoint.open(dir); NDManager m = Engines.manager(Device.cpu())) {
            TensorInfo t = c.info("big");
            assertTrue(t.byteSize() > (1L << 31), "the file tensor passes 2^31 bytes: " + t.byteSize());
            TensorLoader loader = new TensorLoader(c);
            NDArray a = loader.load("big", m); // 4.3 GB float32 in one tensor
            assertEquals(N, a.getShape().size());
            for (long i : probes) {
                assertEquals(value(i), a.get(i / COLS, i % COLS).getFloat(), "element " + i);
            }
            // A slice across the float32 copy's 2^31-byte boundary (element 2^29), as a Java array.
            long r0 = (1L << 29) / COLS - 2;
            float[] slice = HostArrays.floats(a.get("{}:{}", r0, r0 + 4));
            for (int k = 0; k < slice.length; k++) {
                assertEquals(value(r0 * COLS + k), slice[k], "slice element " + k);
            }
            // Write it back as BF16, block by block from the NDArray, and compare every byte with the generator.
            new SafetensorsWriter().add("big", DType.BF16, new long[] {ROWS, COLS}, out -> {
                long step = (1 << 24) / COLS;
                for (long r = 0; r < ROWS; r += step) {
                    float[] v = HostArrays.floats(a.get("{}:{}", r, Math.min(ROWS, r + step)));
                    SafetensorsWriter.writeFloats(out, v, 0, v.length, DType.BF16);
                }
            }).write(back);
            a.close();
        }
        try (SafetensorsFile f = SafetensorsFile.open(back)) {
            TensorInfo t = f.tensors().get("big");
            assertEquals(2 * N, t.byteSize());
            ByteBuffer b = ByteBuffer.allocate(1 << 24).order(ByteOrder.LITTLE_ENDIAN);
            long bad = 0;
            for (long o = 0; o < 2 * N; o += b.capacity()) {
                b.clear().limit((int) Math.min(b.capacity(), 2 * N - o));
                f.readRawRange(t, o, b);
                b.flip();
                for (long i = o / 2; b.hasRemaining(); i++) {
                    if (b.getShort() != bf16(i)) {
                        bad++;
                    }
                }
            }
            assertEquals(0, bad, "bytes that differ after the round trip");
            // And the widened reread at the file's own 2^31-byte boundary (element 2^30).
            ByteBuffer f32 = ByteBuffer.allocateDirect(16).order(ByteOrder.nativeOrder());
            f.readFloats(t, (1L << 30) - 2, 4, f32);
            f32.flip();
            for (int k = 0; k < 4; k++) {
                assertEquals(value((1L << 30) - 2 + k), f32.getFloat(), "reread element " + ((1L << 30) - 2 + k));
            }
        }
    }
}
