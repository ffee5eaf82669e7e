package dev.moefrontier.harness.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * Copies tensors to Java arrays without a single transfer buffer: DJL moves data through one {@code ByteBuffer},
 * which cannot pass 2 GiB, so large tensors are copied in row blocks along their first dimension.
 */
public final class HostArrays {
    /** Elements per transferred block (16 Mi floats, 64 MiB). */
    static final long BLOCK = 1L << 24;
    /** The largest Java array length. */
    static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

    private HostArrays() {}

    /** The values of {@code a} as float32, row-major; refuses a tensor that no Java array can hold. */
    public static float[] floats(NDArray a) {
        long n = a.getShape().size();
        if (n > MAX_ARRAY) {
            throw new IllegalArgumentException("a tensor of shape " + a.getShape() + " (" + n
                    + " values) does not fit one Java array; copy it in parts");
        }
        if (n <= BLOCK || a.getShape().dimension() == 0) {
            if (a.getDataType() == DataType.FLOAT32) {
                return a.toFloatArray();
            }
            try (NDArray f = a.toType(DataType.FLOAT32, false)) {
                return f.toFloatArray();
            }
        }
        long rows = a.getShape().get(0);
        long perRow = n / Math.max(1, rows);
        if (perRow > BLOCK) { // one row alone is a large block: split it along its own first dimension
            float[] out = new float[(int) n];
            for (long r = 0; r < rows; r++) {
                try (NDArray row = a.get(r)) {
                    float[] v = floats(row);
                    System.arraycopy(v, 0, out, (int) (r * perRow), v.length);
                }
            }
            return out;
        }
        float[] out = new float[(int) n];
        long step = Math.max(1, BLOCK / perRow);
        for (long r0 = 0; r0 < rows; r0 += step) {
            long r1 = Math.min(rows, r0 + step);
            try (NDArray part = a.get("{}:{}", r0, r1)) {
                float[] v = floats(part);
                System.arraycopy(v, 0, out, (int) (r0 * perRow), v.length);
            }
        }
        return out;
    }
}
