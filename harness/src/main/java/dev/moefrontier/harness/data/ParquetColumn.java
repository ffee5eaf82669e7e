package dev.moefrontier.harness.data;

import dev.moefrontier.harness.io.CheckpointException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Reads one column chunk: its pages' repetition and definition levels and decoded values. */
final class ParquetColumn {
    private static final int BOOLEAN = 0;
    private static final int INT32 = 1;
    private static final int INT64 = 2;
    private static final int FLOAT = 4;
    private static final int DOUBLE = 5;
    private static final int BYTE_ARRAY = 6;
    private static final int FIXED = 7;

    /** Levels and the non-null values, in order. */
    record Data(int[] rep, int[] def, int count, List<Object> values) {
        int rep(int i) {
            return rep == null ? 0 : rep[i];
        }

        int def(int i) {
            return def == null ? 0 : def[i];
        }
    }

    private ParquetColumn() {}

    @SuppressWarnings("unchecked")
    static Data read(Path path, ParquetFile.Node leaf, Map<Integer, Object> chunk) {
        Map<Integer, Object> meta = (Map<Integer, Object>) chunk.get(3);
        int codec = ((Long) meta.get(4)).intValue();
        long numValues = (Long) meta.get(5);
        long size = (Long) meta.get(7);
        long dataOffset = (Long) meta.get(9);
        long start = dataOffset;
        if (meta.containsKey(11) && (Long) meta.get(11) > 0) {
            start = Math.min(start, (Long) meta.get(11));
        }
        byte[] bytes;
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            bytes = ParquetFile.read(ch, start, Math.toIntExact(size)).array();
        } catch (IOException e) {
            throw CheckpointException.of(path, "cannot read column '" + leaf.name + "': " + e.getMessage());
        }
        int[] rep = leaf.maxRep > 0 ? new int[(int) numValues] : null;
        int[] def = leaf.maxDef > 0 ? new int[(int) numValues] : null;
        List<Object> values = new ArrayList<>();
        List<Object> dict = null;
        int filled = 0;
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        try {
            while (filled < numValues) {
                ThriftCompact t = new ThriftCompact(buf);
                Map<Integer, Object> header = t.readStruct();
                int type = ((Long) header.get(1)).intValue();
                int uncompressed = ((Long) header.get(2)).intValue();
                int compressed = ((Long) header.get(3)).intValue();
                int payload = buf.position();
                buf.position(payload + compressed);
                if (type == 2) { // dictionary page
                    Map<Integer, Object> dh = (Map<Integer, Object>) header.get(7);
                    byte[] page = ParquetFile.decompress(path, codec, bytes, payload, compressed, uncompressed);
                    int n = ((Long) dh.get(1)).intValue();
                    dict = plain(ByteBuffer.wrap(page).order(ByteOrder.LITTLE_ENDIAN), leaf, n);
                } else if (type == 0) { // data page v1
                    Map<Integer, Object> dh = (Map<Integer, Object>) header.get(5);
                    int n = ((Long) dh.get(1)).intValue();
                    int encoding = ((Long) dh.get(2)).intValue();
                    ByteBuffer page = ByteBuffer.wrap(ParquetFile.decompress(path, codec, bytes, payload, compressed, uncompressed))
                            .order(ByteOrder.LITTLE_ENDIAN);
                    if (rep != null) {
                        int len = page.getInt();
                        Hybrid.decode(page.slice().limit(len), bits(leaf.maxRep), n, rep, filled);
                        page.position(page.position() + len);
                    }
                    int nonNull = n;
                    if (def != null) {
                        int len = page.getInt();
                        Hybrid.decode(page.slice().limit(len), bits(leaf.maxDef), n, def, filled);
                        page.position(page.position() + len);
                        nonNull = countDefined(def, filled, n, leaf.maxDef);
                    }
                    values.addAll(decodeValues(path, page.slice().order(ByteOrder.LITTLE_ENDIAN), leaf, encoding, nonNull, dict));
                    filled += n;
                } else if (type == 3) { // data page v2
                    Map<Integer, Object> dh = (Map<Integer, Object>) header.get(8);
                    int n = ((Long) dh.get(1)).intValue();
                    int encoding = ((Long) dh.get(4)).intValue();
                    int defLen = ((Long) dh.get(5)).intValue();
                    int repLen = ((Long) dh.get(6)).intValue();
                    boolean isCompressed = !Boolean.FALSE.equals(dh.get(7));
                    ByteBuffer levels = ByteBuffer.wrap(bytes, payload, repLen + defLen);
                    if (rep != null) {
                        Hybrid.decode(levels.slice().limit(repLen), bits(leaf.maxRep), n, rep, filled);
                    }
                    levels.position(payload + repLen);
                    int nonNull = n;
                    if (def != null) {
                        Hybrid.decode(levels.slice().limit(defLen), bits(leaf.maxDef), n, def, filled);
                        nonNull = countDefined(def, filled, n, leaf.maxDef);
                    }
                    int off = payload + repLen + defLen;
                    int len = compressed - repLen - defLen;
                    byte[] vals = isCompressed ? ParquetFile.decompress(path, codec, bytes, off, len, uncompressed - repLen - defLen)
                            : java.util.Arrays.copyOfRange(bytes, off, off + len);
                    values.addAll(decodeValues(path, ByteBuffer.wrap(vals).order(ByteOrder.LITTLE_ENDIAN), leaf, encoding, nonNull, dict));
                    filled += n;
                }
                // index pages and unknown page types are skipped
            }
        } catch (RuntimeException e) {
            if (e instanceof CheckpointException) {
                throw e;
            }
            throw CheckpointException.of(path, "corrupt data in column '" + leaf.name + "': " + e);
        }
        return new Data(rep, def, filled, values);
    }

    private static int bits(int max) {
        return 32 - Integer.numberOfLeadingZeros(max);
    }

    private static int countDefined(int[] def, int from, int n, int max) {
        int c = 0;
        for (int i = from; i < from + n; i++) {
            if (def[i] == max) {
                c++;
            }
        }
        return c;
    }

    private static List<Object> decodeValues(Path path, ByteBuffer b, ParquetFile.Node leaf, int encoding, int n, List<Object> dict) {
        switch (encoding) {
            case 0:
                return plain(b, leaf, n);
            case 2:
            case 8: {
                if (dict == null) {
                    throw CheckpointException.of(path, "column '" + leaf.name + "' uses a dictionary but has no dictionary page");
                }
                int width = b.get() & 0xFF;
                int[] idx = new int[n];
                Hybrid.decode(b.slice(), width, n, idx, 0);
                List<Object> out = new ArrayList<>(n);
                for (int i : idx) {
                    out.add(dict.get(i));
                }
                return out;
            }
            case 3: { // RLE booleans (v2 pages)
                int len = b.getInt();
                int[] v = new int[n];
                Hybrid.decode(b.slice().limit(len), 1, n, v, 0);
                List<Object> out = new ArrayList<>(n);
                for (int x : v) {
                    out.add(x == 1);
                }
                return out;
            }
            case 5: {
                long[] v = Delta.binaryPacked(b, n);
                List<Object> out = new ArrayList<>(n);
                for (long x : v) {
                    out.add(x);
                }
                return out;
            }
            case 6:
                return strings(leaf, Delta.lengthByteArray(b, n));
            case 7:
                return strings(leaf, Delta.byteArray(b, n));
            case 9:
                return byteStreamSplit(b, leaf, n);
            default:
                throw CheckpointException.of(path, "column '" + leaf.name + "' uses unsupported encoding " + encoding);
        }
    }

    /** Byte arrays as UTF-8 strings (dataset text columns; binary columns are not used by any task). */
    private static List<Object> strings(ParquetFile.Node leaf, List<byte[]> raw) {
        List<Object> out = new ArrayList<>(raw.size());
        for (byte[] r : raw) {
            out.add(new String(r, StandardCharsets.UTF_8));
        }
        return out;
    }

    /** PLAIN-encoded values of the leaf's physical type. */
    static List<Object> plain(ByteBuffer b, ParquetFile.Node leaf, int n) {
        b.order(ByteOrder.LITTLE_ENDIAN);
        List<Object> out = new ArrayList<>(n);
        switch (leaf.type) {
            case BOOLEAN:
                for (int i = 0; i < n; i++) {
                    out.add(((b.get(b.position() + i / 8) >> (i % 8)) & 1) == 1);
                }
                return out;
            case INT32:
                for (int i = 0; i < n; i++) {
                    out.add((long) b.getInt());
                }
                return out;
            case INT64:
                for (int i = 0; i < n; i++) {
                    out.add(b.getLong());
                }
                return out;
            case FLOAT:
                for (int i = 0; i < n; i++) {
                    out.add((double) b.getFloat());
                }
                return out;
            case DOUBLE:
                for (int i = 0; i < n; i++) {
                    out.add(b.getDouble());
                }
                return out;
            case BYTE_ARRAY:
                for (int i = 0; i < n; i++) {
                    byte[] v = new byte[b.getInt()];
                    b.get(v);
                    out.add(new String(v, StandardCharsets.UTF_8));
                }
                return out;
            default:
                throw new IllegalArgumentException("unsupported physical type " + leaf.type + " in column '" + leaf.name + "'");
        }
    }

    private static List<Object> byteStreamSplit(ByteBuffer b, ParquetFile.Node leaf, int n) {
        int width = leaf.type == FLOAT || leaf.type == INT32 ? 4 : 8;
        byte[] all = new byte[n * width];
        for (int k = 0; k < width; k++) {
            for (int i = 0; i < n; i++) {
                all[i * width + k] = b.get(k * n + i);
            }
        }
        ByteBuffer v = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        return plain(v, leaf, n);
    }

    /** The RLE / bit-packing hybrid of levels and dictionary indices. */
    static final class Hybrid {
        private Hybrid() {}

        static void decode(ByteBuffer b, int width, int n, int[] out, int at) {
            int done = 0;
            int bytesPerValue = (width + 7) / 8;
            while (done < n) {
                int header = (int) varint(b);
                if ((header & 1) == 1) { // bit-packed groups of 8
                    int values = (header >>> 1) * 8;
                    long acc = 0;
                    int accBits = 0;
                    for (int i = 0; i < values; i++) {
                        while (accBits < width) {
                            acc |= (long) (b.get() & 0xFF) << accBits;
                            accBits += 8;
                        }
                        int v = (int) (acc & ((1L << width) - 1));
                        acc >>>= width;
                        accBits -= width;
                        if (done < n) {
                            out[at + done] = v;
                        }
                        done++;
                    }
                } else {
                    int count = header >>> 1;
                    int v = 0;
                    for (int i = 0; i < bytesPerValue; i++) {
                        v |= (b.get() & 0xFF) << (8 * i);
                    }
                    for (int i = 0; i < count && done < n; i++) {
                        out[at + done++] = v;
                    }
                }
            }
        }

        static long varint(ByteBuffer b) {
            long r = 0;
            int s = 0;
            while (true) {
                int x = b.get() & 0xFF;
                r |= (long) (x & 0x7F) << s;
                if ((x & 0x80) == 0) {
                    return r;
                }
                s += 7;
            }
        }
    }

    /** DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY and DELTA_BYTE_ARRAY. */
    static final class Delta {
        private Delta() {}

        static long[] binaryPacked(ByteBuffer b, int want) {
            long blockSize = Hybrid.varint(b);
            long miniblocks = Hybrid.varint(b);
            long total = Hybrid.varint(b);
            long first = zigzag(Hybrid.varint(b));
            long[] out = new long[(int) total];
            if (total == 0) {
                return out;
            }
            out[0] = first;
            int got = 1;
            int perMini = (int) (blockSize / miniblocks);
            long prev = first;
            while (got < total) {
                long minDelta = zigzag(Hybrid.varint(b));
                int[] widths = new int[(int) miniblocks];
                for (int i = 0; i < miniblocks; i++) {
                    widths[i] = b.get() & 0xFF;
                }
                for (int m = 0; m < miniblocks; m++) {
                    if (got >= total) {
                        break; // remaining miniblocks are absent
                    }
                    int w = widths[m];
                    long acc = 0;
                    int accBits = 0;
                    for (int i = 0; i < perMini; i++) {
                        long v = 0;
                        if (w > 0) {
                            // values can be up to 64 bits wide: assemble bit by bit in chunks
                            int need = w;
                            int shift = 0;
                            while (need > 0) {
                                if (accBits == 0) {
                                    acc = b.get() & 0xFF;
                                    accBits = 8;
                                }
                                int take = Math.min(need, accBits);
                                v |= (acc & ((1L << take) - 1)) << shift;
                                acc >>>= take;
                                accBits -= take;
                                need -= take;
                                shift += take;
                            }
                        }
                        if (got < total) {
                            prev = prev + minDelta + v;
                            out[got++] = prev;
                        }
                    }
                }
            }
            return out;
        }

        static List<byte[]> lengthByteArray(ByteBuffer b, int n) {
            long[] lens = binaryPacked(b, n);
            List<byte[]> out = new ArrayList<>(lens.length);
            for (long l : lens) {
                byte[] v = new byte[(int) l];
                b.get(v);
                out.add(v);
            }
            return out;
        }

        static List<byte[]> byteArray(ByteBuffer b, int n) {
            long[] prefix = binaryPacked(b, n);
            List<byte[]> suffix = lengthByteArray(b, n);
            List<byte[]> out = new ArrayList<>(prefix.length);
            byte[] last = new byte[0];
            for (int i = 0; i < prefix.length; i++) {
                byte[] s = suffix.get(i);
                byte[] v = new byte[(int) prefix[i] + s.length];
                System.arraycopy(last, 0, v, 0, (int) prefix[i]);
                System.arraycopy(s, 0, v, (int) prefix[i], s.length);
                out.add(v);
                last = v;
            }
            return out;
        }

        private static long zigzag(long n) {
            return (n >>> 1) ^ -(n & 1);
        }
    }
}
