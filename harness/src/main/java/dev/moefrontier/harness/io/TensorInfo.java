package dev.moefrontier.harness.io;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * One tensor entry of a safetensors header. Offsets are relative to the start of the data section.
 *
 * @param name tensor name
 * @param dtype element type
 * @param shape dimensions (empty for a scalar)
 * @param begin first byte, relative to the data section
 * @param end one past the last byte, relative to the data section
 * @param file the file that holds the tensor
 */
public record TensorInfo(String name, DType dtype, long[] shape, long begin, long end, Path file) {

    /** Number of elements (1 for a scalar). */
    public long numel() {
        return numel(shape);
    }

    /** Size of the data in bytes. */
    public long byteSize() {
        return end - begin;
    }

    /** Shape as "[a, b, c]". */
    public String shapeString() {
        return Arrays.toString(shape);
    }

    /** Whether the shape equals the given dimensions. */
    public boolean hasShape(long... dims) {
        return Arrays.equals(shape, dims);
    }

    /** Product of dimensions; throws on overflow. */
    public static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t
                && name.equals(t.name)
                && dtype == t.dtype
                && Arrays.equals(shape, t.shape)
                && begin == t.begin
                && end == t.end
                && file.equals(t.file);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + " " + dtype + " " + shapeString();
    }
}
