package dev.moefrontier.harness.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
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

    /** Elements {@code [offset, offset + shape.size())} of a tensor (row-major), viewed as {@code shape}. */
    public synchronized NDArray load(TensorInfo t, long offset, Shape shape, NDManager manager) {
        int n = Math.toIntExact(shape.size());
        ByteBuffer buf = stagingFor(n);
        checkpoint.readFloats(t, offset, n, buf);
        buf.flip();
        bytesLoaded += (long) n * 4;
        NDArray aliased = manager.create(buf, shape, DataType.FLOAT32);
        if (manager.getDevice().isGpu()) {
            return aliased; // the copy to the device already owns its memory
        }
        // On CPU DJL wraps the staging buffer without copying; clone so the buffer can be reused.
        NDArray owned = aliased.duplicate();
        aliased.close();
        return owned;
    }

    private ByteBuffer stagingFor(int floats) {
        long bytes = (long) floats * 4;
        if (staging.capacity() < bytes) {
            long cap = Math.max(bytes, Math.min(Integer.MAX_VALUE - 8, staging.capacity() * 2L));
            staging = ByteBuffer.allocateDirect(Math.toIntExact(cap)).order(ByteOrder.nativeOrder());
        }
        staging.clear();
        return staging;
    }

    /** Drops the staging buffer (it is reallocated on the next load). */
    public synchronized void trim() {
        staging = ByteBuffer.allocateDirect(0);
    }
}
