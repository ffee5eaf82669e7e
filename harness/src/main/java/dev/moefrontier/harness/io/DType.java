package dev.moefrontier.harness.io;

import java.util.Locale;

/**
 * Element types that may appear in a safetensors header. Every type is known for validation
 * (offsets must match dtype size × element count); only F32, F16 and BF16 can be loaded, widened to F32.
 */
public enum DType {
    F64(8, false),
    F32(4, true),
    F16(2, true),
    BF16(2, true),
    I64(8, false),
    I32(4, false),
    I16(2, false),
    I8(1, false),
    U64(8, false),
    U32(4, false),
    U16(2, false),
    U8(1, false),
    BOOL(1, false),
    F8_E4M3(1, false),
    F8_E5M2(1, false);

    private final int size;
    private final boolean loadable;

    DType(int size, boolean loadable) {
        this.size = size;
        this.loadable = loadable;
    }

    /** Bytes per element. */
    public int size() {
        return size;
    }

    /** Whether the runtime can load this type (as float32). */
    public boolean loadable() {
        return loadable;
    }

    /** Parses a header dtype string; returns null when the name is not a safetensors dtype. */
    public static DType parse(String name) {
        try {
            return valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
