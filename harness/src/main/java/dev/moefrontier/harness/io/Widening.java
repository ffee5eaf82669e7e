package dev.moefrontier.harness.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.ShortBuffer;

/** Exact widening of F16 / BF16 to float32 (and plain copies of F32), done in Java. */
public final class Widening {
    private Widening() {}

    /**
     * Reads {@code count} elements of {@code dtype} from {@code src} (little-endian, at its position) and writes
     * float32 values into {@code dst} (native order) at its position; advances {@code dst}.
     */
    public static void toFloat32(ByteBuffer src, DType dtype, int count, ByteBuffer dst) {
        ByteBuffer s = src.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int pos = dst.position();
        switch (dtype) {
            case F32 -> {
                FloatBuffer in = s.asFloatBuffer();
                in.limit(count);
                dst.asFloatBuffer().put(in);
            }
            case BF16 -> {
                // bf16 is the upper half of a float32: shifting the bits up is exact.
                ShortBuffer in = s.asShortBuffer();
                IntBuffer out = dst.asIntBuffer();
                for (int i = 0; i < count; i++) {
                    out.put(i, (in.get(i) & 0xFFFF) << 16);
                }
            }
            case F16 -> {
                ShortBuffer in = s.asShortBuffer();
                IntBuffer out = dst.asIntBuffer();
                for (int i = 0; i < count; i++) {
                    out.put(i, halfToFloatBits(in.get(i)));
                }
            }
            default -> throw new IllegalArgumentException("cannot widen " + dtype);
        }
        dst.position(pos + count * 4);
    }

    /** IEEE 754 binary16 to binary32 bits, exact for every input including subnormals, infinities and NaN. */
    public static int halfToFloatBits(short h) {
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1F;
        int mant = h & 0x3FF;
        if (exp == 0x1F) {
            return sign | 0x7F800000 | (mant << 13);
        }
        if (exp == 0) {
            if (mant == 0) {
                return sign;
            }
            // Subnormal half: normalize into a float32 exponent.
            int e = -1;
            do {
                e++;
                mant <<= 1;
            } while ((mant & 0x400) == 0);
            mant &= 0x3FF;
            return sign | ((127 - 15 - e) << 23) | (mant << 13);
        }
        return sign | ((exp - 15 + 127) << 23) | (mant << 13);
    }

    /** float32 to bfloat16 bits, round-to-nearest-even (NaN stays NaN). */
    public static short floatToBf16Bits(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    /** float32 to IEEE binary16 bits, round-to-nearest-even, overflow to infinity. */
    public static short floatToHalfBits(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int exp = (bits >>> 23) & 0xFF;
        int mant = bits & 0x7FFFFF;
        if (exp == 0xFF) {
            return (short) (sign | 0x7C00 | (mant != 0 ? 0x200 : 0));
        }
        int e = exp - 127 + 15;
        if (e >= 0x1F) {
            return (short) (sign | 0x7C00);
        }
        if (e <= 0) {
            if (e < -10) {
                return (short) sign;
            }
            mant |= 0x800000;
            int shift = 14 - e;
            int half = mant >> shift;
            int rem = mant & ((1 << shift) - 1);
            int mid = 1 << (shift - 1);
            if (rem > mid || (rem == mid && (half & 1) != 0)) {
                half++;
            }
            return (short) (sign | half);
        }
        int half = (e << 10) | (mant >> 13);
        int rem = mant & 0x1FFF;
        if (rem > 0x1000 || (rem == 0x1000 && (half & 1) != 0)) {
            half++;
        }
        return (short) (sign | half);
    }
}
