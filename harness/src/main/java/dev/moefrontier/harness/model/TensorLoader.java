package dev.moefrontier.harness.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.moefrontier.harness.io.Checkpoint;
import dev.moefrontier.harness.io.TensorInfo;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Moves checkpoint tensors into DJL as float32. Data goes file → memory map → (widened) staging buffer → a tensor
 * that owns its memory; the staging buffer is reused and the map released at once, so nothing stays mapped and a
 * closed tensor's memory is returned immediately (not at some later garbage collection).
 */
public final class TensorLoader implements TensorSource {
    /** Largest transfer through the staging buffer: 16 Mi floats (64 MiB), far below any 2^31 limit. */
    public static final int CHUNK_FLOATS = 1 << 24;

    private final Checkpoint checkpoint;
    private ByteBuffer staging = ByteBuffer.allocateDirect(0);
    private long bytesLoaded;

    public TensorLoader(Checkpoint checkpoint) {
        this.checkpoint = checkpoint;
    }

    public Checkpoint checkpoint() {
        return checkpoint;
    }

    /** Bytes of float32 data created so far (for throughput reports). */
    public long bytesLoaded() {
        return bytesLoaded;
    }

    /** The whole tensor, float32, on {@code manager}'s device. */
    @Override
    public NDArray load(String name, NDManager manager) {
        TensorInfo t = checkpoint.info(name);
        return load(t, 0, new Shape(t.shape()), manager);
    }

    /**
     * Elements {@code [offset, offset + shape.size())} of a tensor (row-major), viewed as {@code shape}. A tensor of
     * more than {@link #CHUNK_FLOATS} elements (Qwen3.5's fused experts pass 2 GB in float32) is allocated once on the
     * device and filled chunk by chunk through the staging buffer, so no Java buffer or array ever holds more than one
     * chunk and the peak is the tensor plus one chunk.
     */
    public synchronized NDArray load(TensorInfo t, long offset, Shape shape, NDManager manager) {
        long n = shape.size();
        if (n <= CHUNK_FLOATS) {
            NDArray aliased = stage(t, offset, (int) n, shape, manager);
            if (manager.getDevice().isGpu()) {
                return aliased; // the copy to the device already owns its memory
            }
            // On CPU DJL wraps the staging buffer without copying; clone so the buffer can be reused.
            NDArray owned = aliased.duplicate();
            aliased.close();
            return owned;
        }
        NDArray out = manager.create(shape, DataType.FLOAT32); // uninitialized, filled below
        try (NDArray flat = out.reshape(n)) { // a view of out's storage
            for (long o = 0; o < n; o += CHUNK_FLOATS) {
                int c = (int) Math.min(CHUNK_FLOATS, n - o);
                try (NDArray part = stage(t, offset + o, c, new Shape(c), manager)) {
                    flat.set(new NDIndex("{}:{}", o, o + c), part);
                }
            }
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
        return out;
    }

    /** Elements of {@code t} widened into the staging buffer and wrapped (not copied, on CPU) as {@code shape}. */
    private NDArray stage(TensorInfo t, long offset, int count, Shape shape, NDManager manager) {
        ByteBuffer buf = stagingFor(count);
        checkpoint.readFloats(t, offset, count, buf);
        buf.flip();
        bytesLoaded += (long) count * 4;
        return manager.create(buf, shape, DataType.FLOAT32);
    }

    private ByteBuffer stagingFor(int floats) {
        long bytes = (long) floats * 4;
        if (staging.capacity() < bytes) {
            long cap = Math.max(bytes, Math.min(CHUNK_FLOATS * 4L, staging.capacity() * 2L));
            staging = ByteBuffer.allocateDirect((int) cap).order(ByteOrder.nativeOrder());
        }
        staging.clear();
        return staging;
    }

    /** Drops the staging buffer (it is reallocated on the next load). */
    public synchronized void trim() {
        staging = ByteBuffer.allocateDirect(0);
    }
}
