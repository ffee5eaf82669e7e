package dev.moefrontier.harness.io;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import dev.moefrontier.harness.util.AtomicFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;

/**
 * What one safetensors file holds, computed in one sequential pass: the SHA-256 of every byte and the first
 * non-finite element (NaN or ±Inf) of its floating-point tensors. Hashing a multi-GB checkpoint takes seconds, so
 * the result is remembered in a sidecar under the cache root, keyed by the file's identity (absolute path, device
 * and inode, size, modification and status-change times). Any write to the file changes its status-change time,
 * which no user tool can set back, so a remembered digest cannot outlive an edit.
 *
 * @param sha256 hex SHA-256 of the whole file
 * @param scanned whether the non-finite scan ran (a digest computed with the scan skipped has {@code false})
 * @param nonFinite the first non-finite element, or null when there is none (or the scan did not run)
 * @param nonFiniteCount how many non-finite elements the file holds
 */
public record ContentDigest(String sha256, boolean scanned, Location nonFinite, long nonFiniteCount) {
    /** Sidecar format version; bump when the record or the scan changes. */
    public static final int VERSION = 1;
    private static final int CHUNK = 8 << 20;
    private static final Gson GSON = new GsonBuilder().create();
    private static final java.util.concurrent.ExecutorService SCANNER = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "frontier-weight-scan");
        t.setDaemon(true);
        return t;
    });

    /**
     * A non-finite element.
     *
     * @param tensor tensor name
     * @param index flat element index
     * @param value "NaN", "+Inf" or "-Inf"
     */
    public record Location(String tensor, long index, String value) {}

    /**
     * The cache root: {@code -Dfrontier.cache}, else {@code $FRONTIER_CACHE}, else {@code ~/.cache/moe-frontier}.
     */
    public static Path defaultRoot() {
        String prop = System.getProperty("frontier.cache");
        if (prop != null && !prop.isBlank()) {
            return Path.of(prop);
        }
        String env = System.getenv("FRONTIER_CACHE");
        return env != null && !env.isBlank() ? Path.of(env) : Path.of(System.getProperty("user.home"), ".cache", "moe-frontier");
    }

    /** The remembered digest of {@code file}, computing (and remembering) it when absent or stale. */
    public static ContentDigest of(SafetensorsFile file, boolean scan, Path sidecarRoot) {
        Path abs = file.path().toAbsolutePath().normalize();
        String identity = identity(abs);
        Path sidecar = sidecarRoot == null ? null
                : sidecarRoot.resolve("digests").resolve("v" + VERSION).resolve(sha256Hex(identity).substring(0, 32) + ".json");
        if (sidecar != null && Files.isRegularFile(sidecar)) {
            try {
                Sidecar s = GSON.fromJson(Files.readString(sidecar, StandardCharsets.UTF_8), Sidecar.class);
                if (s != null && identity.equals(s.identity) && s.digest != null && s.digest.sha256 != null
                        && (s.digest.scanned || !scan)) {
                    return s.digest;
                }
            } catch (IOException | JsonParseException e) {
                // an unreadable sidecar is recomputed and replaced
            }
        }
        ContentDigest d = compute(file, scan);
        // The file must not have changed while it was read.
        if (sidecar != null && identity.equals(identity(abs))) {
            try {
                Sidecar s = new Sidecar();
                s.identity = identity;
                s.digest = d;
                AtomicFiles.writeString(sidecar, GSON.toJson(s));
            } catch (IOException e) {
                // A read-only cache only costs the next run the same pass again.
            }
        }
        return d;
    }

    /** Hashes and (when {@code scan}) scans the file. */
    public static ContentDigest compute(SafetensorsFile file, boolean scan) {
        MessageDigest md = Checkpoint.sha256();
        List<TensorInfo> floats = new ArrayList<>();
        if (scan) {
            for (TensorInfo t : file.tensors().values()) {
                if (isFloat(t.dtype()) && t.byteSize() > 0) {
                    floats.add(t);
                }
            }
            floats.sort(Comparator.comparingLong(TensorInfo::begin));
        }
        Scan found = new Scan();
        long dataStart = file.dataStart();
        try (FileChannel ch = FileChannel.open(file.path(), StandardOpenOption.READ)) {
            // A direct buffer: the channel reads into it without a second copy (measured faster than a heap array).
            ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
            long pos = 0;
            int next = 0; // first tensor that may still overlap the chunks ahead
            long size = ch.size();
            while (pos < size) {
                buf.clear();
                buf.limit((int) Math.min(CHUNK, size - pos));
                while (buf.hasRemaining()) {
                    if (ch.read(buf, pos + buf.position()) < 0) {
                        throw CheckpointException.of(file.path(), "file shrank while it was read");
                    }
                }
                buf.flip();
                long chunkStart = pos;
                long chunkEnd = pos + buf.limit();
                while (next < floats.size() && dataStart + floats.get(next).end() <= chunkStart) {
                    next++;
                }
                int first = next;
                // The scan of a chunk runs beside its hashing (two cores: ~2x); both only read the buffer.
                java.util.concurrent.Future<?> scanned = floats.isEmpty() ? null : SCANNER.submit(() -> {
                    for (int i = first; i < floats.size(); i++) {
                        TensorInfo t = floats.get(i);
                        long tb = dataStart + t.begin();
                        long te = dataStart + t.end();
                        if (tb >= chunkEnd) {
                            break;
                        }
                        if (te > chunkStart) {
                            scanRange(ch, buf, chunkStart, t, tb, Math.max(tb, chunkStart), Math.min(te, chunkEnd), found);
                        }
                    }
                    return null;
                });
                md.update(buf.duplicate());
                if (scanned != null) {
                    try {
                        scanned.get();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IOException("interrupted while scanning " + file.path(), e);
                    } catch (java.util.concurrent.ExecutionException e) {
                        if (e.getCause() instanceof IOException io) {
                            throw io;
                        }
                        throw new IllegalStateException(e.getCause());
                    }
                }
                pos = chunkEnd;
            }
        } catch (NoSuchFileException e) {
            throw CheckpointException.of(file.path(), "no such file");
        } catch (IOException e) {
            throw CheckpointException.of(file.path(), "read error: " + e.getMessage());
        }
        return new ContentDigest(HexFormat.of().formatHex(md.digest()), scan, found.first, found.count);
    }

    private static final class Scan {
        Location first;
        long count;

        void hit(TensorInfo t, long index, String value) {
            count++;
            if (first == null) {
                first = new Location(t.name(), index, value);
            }
        }
    }

    /**
     * Scans the bytes [from, to) (absolute) of tensor {@code t} (starting at absolute {@code tb}) held in {@code buf},
     * which starts at absolute {@code bufStart}. An element cut by the chunk's end is read from the channel on its own.
     */
    private static void scanRange(FileChannel ch, ByteBuffer buf, long bufStart, TensorInfo t, long tb, long from, long to,
            Scan found) throws IOException {
        int es = t.dtype().size();
        long firstElem = (from - tb + es - 1) / es; // first element starting at or after 'from'
        long endElem = (to - tb) / es; // elements wholly before 'to'
        // An element that began in the previous chunk and ends in this one was read whole there.
        int p = (int) (tb + firstElem * es - bufStart);
        long e = firstElem;
        long words = (endElem - e) * es / 8;
        long laneMask = laneMask(t.dtype());
        for (long w = 0; w < words; w++, p += 8) {
            long x = buf.getLong(p) & laneMask;
            if (anyLaneEqual(x ^ laneMask, t.dtype())) {
                for (int k = 0; k < 8 / es; k++) {
                    check(t, e + k, elementBits(buf, p + k * es, es), found);
                }
            }
            e += 8 / es;
        }
        for (; e < endElem; e++, p += es) {
            check(t, e, elementBits(buf, p, es), found);
        }
        long elemEnd = tb + (endElem + 1) * es;
        if (endElem < t.byteSize() / es && elemEnd > to && tb + endElem * es < to) {
            // The element straddles the chunk boundary: read it whole.
            ByteBuffer one = ByteBuffer.allocate(es).order(ByteOrder.LITTLE_ENDIAN);
            long at = tb + endElem * es;
            while (one.hasRemaining()) {
                if (ch.read(one, at + one.position()) < 0) {
                    throw new IOException("unexpected end of file in tensor '" + t.name() + "'");
                }
            }
            check(t, endElem, elementBits(one, 0, es), found);
        }
    }

    private static long elementBits(ByteBuffer b, int p, int es) {
        return switch (es) {
            case 2 -> b.getShort(p) & 0xFFFFL;
            case 4 -> b.getInt(p) & 0xFFFFFFFFL;
            default -> b.getLong(p);
        };
    }

    private static void check(TensorInfo t, long index, long bits, Scan found) {
        DType d = t.dtype();
        long exp;
        long mant;
        boolean neg;
        switch (d) {
            case BF16 -> {
                exp = bits & 0x7F80;
                mant = bits & 0x7F;
                neg = (bits & 0x8000) != 0;
                if (exp != 0x7F80) {
                    return;
                }
            }
            case F16 -> {
                exp = bits & 0x7C00;
                mant = bits & 0x3FF;
                neg = (bits & 0x8000) != 0;
                if (exp != 0x7C00) {
                    return;
                }
            }
            case F32 -> {
                exp = bits & 0x7F800000L;
                mant = bits & 0x7FFFFFL;
                neg = (bits & 0x80000000L) != 0;
                if (exp != 0x7F800000L) {
                    return;
                }
            }
            default -> {
                exp = bits & 0x7FF0000000000000L;
                mant = bits & 0xFFFFFFFFFFFFFL;
                neg = bits < 0;
                if (exp != 0x7FF0000000000000L) {
                    return;
                }
            }
        }
        found.hit(t, index, mant != 0 ? "NaN" : neg ? "-Inf" : "+Inf");
    }

    /** The exponent bits of every lane of a 64-bit word. */
    private static long laneMask(DType d) {
        return switch (d) {
            case BF16 -> 0x7F807F807F807F80L;
            case F16 -> 0x7C007C007C007C00L;
            case F32 -> 0x7F8000007F800000L;
            default -> 0x7FF0000000000000L;
        };
    }

    /** Whether some lane of {@code v} is zero (lanes' top bits are clear: the classic zero-lane test is exact). */
    private static boolean anyLaneEqual(long v, DType d) {
        return switch (d) {
            case BF16, F16 -> ((v - 0x0001000100010001L) & ~v & 0x8000800080008000L) != 0;
            case F32 -> ((v - 0x0000000100000001L) & ~v & 0x8000000080000000L) != 0;
            default -> v == 0;
        };
    }

    private static boolean isFloat(DType d) {
        return d == DType.F32 || d == DType.F16 || d == DType.BF16 || d == DType.F64;
    }

    /** A string that changes whenever the file's bytes may have. */
    static String identity(Path abs) {
        try {
            BasicFileAttributes a = Files.readAttributes(abs, BasicFileAttributes.class);
            Object ctime = null;
            Object ino = null;
            Object dev = null;
            try {
                ctime = Files.getAttribute(abs, "unix:ctime");
                ino = Files.getAttribute(abs, "unix:ino");
                dev = Files.getAttribute(abs, "unix:dev");
            } catch (UnsupportedOperationException | IllegalArgumentException e) {
                // not a POSIX file system: size and modification time only
            }
            return abs + "|" + dev + ":" + ino + "|" + a.size() + "|" + a.lastModifiedTime().toInstant() + "|"
                    + (ctime == null ? "" : ctime.toString());
        } catch (NoSuchFileException e) {
            throw CheckpointException.of(abs, "no such file");
        } catch (IOException e) {
            throw CheckpointException.of(abs, "cannot read attributes: " + e.getMessage());
        }
    }

    static String sha256Hex(String s) {
        return HexFormat.of().formatHex(Checkpoint.sha256().digest(s.getBytes(StandardCharsets.UTF_8)));
    }

    /** The sidecar's JSON shape. */
    private static final class Sidecar {
        String identity;
        ContentDigest digest;
    }
}
