package dev.moefrontier.harness.data;

import dev.moefrontier.harness.io.CheckpointException;
import io.airlift.compress.lz4.Lz4Decompressor;
import io.airlift.compress.snappy.SnappyDecompressor;
import io.airlift.compress.zstd.ZstdDecompressor;
import java.io.ByteArrayInputStream;
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
import java.util.zip.GZIPInputStream;

/**
 * A small, dependency-free Parquet reader for dataset files as the Hugging Face hub serves them: flat and nested
 * columns with at most one list level (lists of values, structs of lists, lists of structs), data pages v1 and v2,
 * dictionary and plain encodings (and the delta encodings), Snappy / ZSTD / GZIP / LZ4_RAW compression. Rows come back
 * as the same value model as parsed JSONL: String, Long, Double, Boolean, List, Map (null for missing values).
 */
public final class ParquetFile {
    private static final byte[] MAGIC = "PAR1".getBytes(StandardCharsets.US_ASCII);

    private final Path path;
    private final Node root;
    private final List<Map<Integer, Object>> rowGroups;
    private final long numRows;

    /** A schema node; leaves carry the physical type. */
    static final class Node {
        String name;
        int repetition; // 0 required, 1 optional, 2 repeated
        Integer type; // physical type of a leaf, null for groups
        int convertedType = -1;
        boolean string;
        boolean list;
        boolean map;
        List<Node> children = new ArrayList<>();
        int maxDef;
        int maxRep;
        int repDef = -1; // definition level of the innermost repeated ancestor (or itself)
        int leafIndex = -1;

        boolean isLeaf() {
            return type != null;
        }
    }

    private ParquetFile(Path path, Node root, List<Map<Integer, Object>> rowGroups, long numRows) {
        this.path = path;
        this.root = root;
        this.rowGroups = rowGroups;
        this.numRows = numRows;
    }

    /** Reads and validates the footer. */
    public static ParquetFile open(Path path) {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 12) {
                throw CheckpointException.of(path, "not a Parquet file (" + size + " bytes)");
            }
            ByteBuffer tail = read(ch, size - 8, 8);
            int footerLen = tail.order(ByteOrder.LITTLE_ENDIAN).getInt(0);
            byte[] magic = new byte[4];
            tail.position(4);
            tail.get(magic);
            if (!java.util.Arrays.equals(magic, MAGIC)) {
                throw CheckpointException.of(path, "not a Parquet file (no PAR1 trailer)");
            }
            if (footerLen <= 0 || footerLen > size - 12) {
                throw CheckpointException.of(path, "corrupt Parquet footer length " + footerLen);
            }
            ByteBuffer footer = read(ch, size - 8 - footerLen, footerLen);
            Map<Integer, Object> meta = new ThriftCompact(footer).readStruct();
            @SuppressWarnings("unchecked")
            List<Object> schema = (List<Object>) meta.get(2);
            int[] pos = {0};
            int[] leaf = {0};
            Node root = build(schema, pos, 0, 0, -1, leaf);
            @SuppressWarnings("unchecked")
            List<Object> groups = (List<Object>) meta.getOrDefault(4, List.of());
            List<Map<Integer, Object>> rg = new ArrayList<>();
            for (Object g : groups) {
                @SuppressWarnings("unchecked")
                Map<Integer, Object> m = (Map<Integer, Object>) g;
                rg.add(m);
            }
            return new ParquetFile(path, root, rg, (Long) meta.getOrDefault(3, 0L));
        } catch (java.nio.file.NoSuchFileException e) {
            throw CheckpointException.of(path, "no such file");
        } catch (IOException e) {
            throw CheckpointException.of(path, "cannot read: " + e.getMessage());
        } catch (RuntimeException e) {
            if (e instanceof CheckpointException) {
                throw e;
            }
            throw CheckpointException.of(path, "corrupt Parquet metadata: " + e);
        }
    }

    @SuppressWarnings("unchecked")
    private static Node build(List<Object> schema, int[] pos, int def, int rep, int repDef, int[] leaf) {
        Map<Integer, Object> el = (Map<Integer, Object>) schema.get(pos[0]++);
        Node n = new Node();
        n.name = new String((byte[]) el.get(4), StandardCharsets.UTF_8);
        n.repetition = el.containsKey(3) ? ((Long) el.get(3)).intValue() : 0;
        boolean isRoot = pos[0] == 1;
        int d = isRoot ? 0 : def + (n.repetition == 0 ? 0 : 1);
        int r = isRoot ? 0 : rep + (n.repetition == 2 ? 1 : 0);
        n.maxDef = d;
        n.maxRep = r;
        n.repDef = n.repetition == 2 ? d : repDef;
        if (el.containsKey(6)) {
            n.convertedType = ((Long) el.get(6)).intValue();
        }
        Map<Integer, Object> logical = (Map<Integer, Object>) el.get(10);
        n.string = n.convertedType == 0 || (logical != null && logical.containsKey(1)) || n.convertedType == 4;
        n.list = n.convertedType == 3 || (logical != null && logical.containsKey(3));
        n.map = n.convertedType == 1 || n.convertedType == 2 || (logical != null && logical.containsKey(2));
        int children = el.containsKey(5) ? ((Long) el.get(5)).intValue() : 0;
        if (children == 0 && el.containsKey(1)) {
            n.type = ((Long) el.get(1)).intValue();
            n.leafIndex = leaf[0]++;
        }
        for (int i = 0; i < children; i++) {
            n.children.add(build(schema, pos, d, r, n.repDef, leaf));
        }
        return n;
    }

    public long numRows() {
        return numRows;
    }

    public Path path() {
        return path;
    }

    /** Names of the top-level fields. */
    public List<String> fields() {
        List<String> out = new ArrayList<>();
        root.children.forEach(c -> out.add(c.name));
        return out;
    }

    /** Every row as a map of top-level field name to value. */
    public List<Map<String, Object>> readRows() {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int i = 0; i < numRows; i++) {
            rows.add(new LinkedHashMap<>());
        }
        for (Node field : root.children) {
            List<Object> values = assemble(field);
            for (int i = 0; i < rows.size(); i++) {
                rows.get(i).put(field.name, values.get(i));
            }
        }
        return rows;
    }

    /** Per-row values of a schema subtree. */
    private List<Object> assemble(Node n) {
        if (n.isLeaf()) {
            return leafRows(n);
        }
        if (n.list || n.map || (n.children.size() == 1 && n.children.get(0).repetition == 2)) {
            Node repeated = n.children.get(0); // LIST: repeated group "list" { element }, legacy: repeated element
            if (repeated.isLeaf()) {
                return leafRows(repeated);
            }
            if (repeated.children.size() == 1 && !n.map) {
                return assemble(repeated.children.get(0)); // lists of values or of structs
            }
            return zipStructs(repeated); // map entries or lists of multi-field structs
        }
        // A struct: its children align row by row, unless it sits inside a list (then zip elements).
        if (n.maxRep > 0) {
            return zipStructs(n);
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int i = 0; i < numRows; i++) {
            rows.add(new LinkedHashMap<>());
        }
        for (Node c : n.children) {
            List<Object> v = assemble(c);
            for (int i = 0; i < rows.size(); i++) {
                rows.get(i).put(c.name, v.get(i));
            }
        }
        return new ArrayList<>(rows);
    }

    /** Per row, a list of structs whose fields are the children's per-row lists, zipped by element. */
    @SuppressWarnings("unchecked")
    private List<Object> zipStructs(Node struct) {
        Map<String, List<Object>> cols = new LinkedHashMap<>();
        for (Node c : struct.children) {
            cols.put(c.name, assemble(c));
        }
        List<Object> rows = new ArrayList<>();
        for (int i = 0; i < numRows; i++) {
            int len = 0;
            for (List<Object> col : cols.values()) {
                Object v = col.get(i);
                len = Math.max(len, v instanceof List<?> l ? l.size() : 0);
            }
            List<Object> elems = new ArrayList<>();
            for (int k = 0; k < len; k++) {
                Map<String, Object> m = new LinkedHashMap<>();
                for (Map.Entry<String, List<Object>> e : cols.entrySet()) {
                    List<Object> l = (List<Object>) e.getValue().get(i);
                    m.put(e.getKey(), l != null && k < l.size() ? l.get(k) : null);
                }
                elems.add(m);
            }
            rows.add(elems);
        }
        return rows;
    }

    /** Per-row values of one leaf column: a value (no list) or a list (one repeated level). */
    private List<Object> leafRows(Node leaf) {
        if (leaf.maxRep > 1) {
            throw CheckpointException.of(path, "column '" + leaf.name + "' nests lists " + leaf.maxRep + " deep (only one level is supported)");
        }
        List<Object> rows = new ArrayList<>();
        for (Map<Integer, Object> rg : rowGroups) {
            @SuppressWarnings("unchecked")
            List<Object> chunks = (List<Object>) rg.get(1);
            @SuppressWarnings("unchecked")
            Map<Integer, Object> chunk = (Map<Integer, Object>) chunks.get(leaf.leafIndex);
            ParquetColumn.Data d = ParquetColumn.read(path, leaf, chunk);
            int vi = 0;
            List<Object> current = null;
            for (int i = 0; i < d.count(); i++) {
                int def = d.def(i);
                if (leaf.maxRep == 0) {
                    rows.add(def == leaf.maxDef ? d.values().get(vi++) : null);
                    continue;
                }
                if (d.rep(i) == 0) {
                    // def one below the repeated node: an empty list; lower: a null list (or null enclosing struct)
                    current = def >= leaf.repDef - 1 ? new ArrayList<>() : null;
                    rows.add(current);
                }
                if (def >= leaf.repDef && current != null) {
                    current.add(def == leaf.maxDef ? d.values().get(vi++) : null);
                }
            }
        }
        if (rows.size() != numRows) {
            throw CheckpointException.of(path, "column '" + leaf.name + "' has " + rows.size() + " rows, the file " + numRows);
        }
        return rows;
    }

    static ByteBuffer read(FileChannel ch, long pos, int len) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(len);
        while (b.hasRemaining()) {
            if (ch.read(b, pos + b.position()) < 0) {
                throw new IOException("unexpected end of file");
            }
        }
        return b.flip();
    }

    /** Decompresses a page. */
    static byte[] decompress(Path path, int codec, byte[] in, int off, int len, int uncompressed) {
        try {
            switch (codec) {
                case 0:
                    return java.util.Arrays.copyOfRange(in, off, off + len);
                case 1: {
                    byte[] out = new byte[uncompressed];
                    new SnappyDecompressor().decompress(in, off, len, out, 0, uncompressed);
                    return out;
                }
                case 2:
                    try (GZIPInputStream g = new GZIPInputStream(new ByteArrayInputStream(in, off, len))) {
                        return g.readNBytes(uncompressed);
                    }
                case 6: {
                    byte[] out = new byte[uncompressed];
                    new ZstdDecompressor().decompress(in, off, len, out, 0, uncompressed);
                    return out;
                }
                case 7: {
                    byte[] out = new byte[uncompressed];
                    new Lz4Decompressor().decompress(in, off, len, out, 0, uncompressed);
                    return out;
                }
                default:
                    throw CheckpointException.of(path, "unsupported Parquet compression codec " + codec
                            + " (uncompressed, snappy, gzip, zstd and lz4_raw are supported)");
            }
        } catch (IOException e) {
            throw CheckpointException.of(path, "corrupt compressed page: " + e.getMessage());
        }
    }
}
