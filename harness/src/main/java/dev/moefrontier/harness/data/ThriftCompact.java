package dev.moefrontier.harness.data;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A generic reader of Thrift's compact protocol, enough for Parquet's metadata: a struct becomes a map from field id to
 * value (Boolean, Long for all integer types, Double, byte[] for binary/strings, List, nested maps).
 */
final class ThriftCompact {
    private final ByteBuffer buf;

    ThriftCompact(ByteBuffer buf) {
        this.buf = buf;
    }

    /** Position after what has been read. */
    int position() {
        return buf.position();
    }

    Map<Integer, Object> readStruct() {
        Map<Integer, Object> out = new HashMap<>();
        int lastId = 0;
        while (true) {
            int header = buf.get() & 0xFF;
            int type = header & 0x0F;
            if (type == 0) {
                return out; // STOP
            }
            int delta = header >>> 4;
            int id = delta != 0 ? lastId + delta : (int) zigzag(varint());
            lastId = id;
            out.put(id, readValue(type));
        }
    }

    private Object readValue(int type) {
        switch (type) {
            case 1:
                return Boolean.TRUE; // BOOLEAN_TRUE (in a field header)
            case 2:
                return Boolean.FALSE;
            case 3:
                return (long) buf.get();
            case 4:
            case 5:
            case 6:
                return zigzag(varint());
            case 7:
                return buf.order(java.nio.ByteOrder.LITTLE_ENDIAN).getDouble();
            case 8: {
                int len = (int) varint();
                byte[] b = new byte[len];
                buf.get(b);
                return b;
            }
            case 9:
            case 10: {
                int h = buf.get() & 0xFF;
                int size = h >>> 4;
                int elem = h & 0x0F;
                if (size == 15) {
                    size = (int) varint();
                }
                List<Object> l = new ArrayList<>(size);
                for (int i = 0; i < size; i++) {
                    l.add(elem == 1 || elem == 2 ? (buf.get() == 1) : readValue(elem));
                }
                return l;
            }
            case 11: {
                int size = (int) varint();
                Map<Object, Object> m = new HashMap<>();
                if (size > 0) {
                    int kv = buf.get() & 0xFF;
                    for (int i = 0; i < size; i++) {
                        Object k = readValue(kv >>> 4);
                        m.put(k, readValue(kv & 0x0F));
                    }
                }
                return m;
            }
            case 12:
                return readStruct();
            default:
                throw new IllegalArgumentException("bad Thrift compact type " + type);
        }
    }

    private long varint() {
        long result = 0;
        int shift = 0;
        while (true) {
            int b = buf.get() & 0xFF;
            result |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return result;
            }
            shift += 7;
        }
    }

    private static long zigzag(long n) {
        return (n >>> 1) ^ -(n & 1);
    }
}
