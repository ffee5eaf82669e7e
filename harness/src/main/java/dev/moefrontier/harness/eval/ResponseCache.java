package dev.moefrontier.harness.eval;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Model responses (loglikelihoods) keyed by request, persisted as an append-only file so that an interrupted evaluation
 * resumes where it stopped: one line {@code key<TAB>loglikelihood<TAB>greedy} per response, flushed as batches finish.
 * A torn last line (a crash mid-write) is cut off when the file is opened again.
 */
public final class ResponseCache implements AutoCloseable {
    private final Path file;
    private final Map<String, double[]> entries = new HashMap<>();
    private BufferedWriter out;

    /** Opens (or creates) the cache file. */
    public ResponseCache(Path file) {
        this.file = file;
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            if (Files.exists(file)) {
                dropTornTail(file);
                List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
                for (String line : lines) {
                    String[] f = line.split("\t");
                    if (f.length != 3) {
                        continue; // torn write
                    }
                    try {
                        entries.put(f[0], new double[] {Double.parseDouble(f[1]), Double.parseDouble(f[2])});
                    } catch (NumberFormatException e) {
                        // torn write
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read response cache " + file, e);
        }
    }

    /** Cuts a last line without its newline (a write the crash interrupted), so that new lines start clean. */
    private static void dropTornTail(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long size = ch.size();
            long keep = size;
            ByteBuffer b = ByteBuffer.allocate(1);
            while (keep > 0) {
                b.clear();
                ch.read(b, keep - 1);
                if (b.get(0) == '\n') {
                    break;
                }
                keep--;
            }
            if (keep < size) {
                ch.truncate(keep);
            }
        }
    }

    public Path file() {
        return file;
    }

    public synchronized int size() {
        return entries.size();
    }

    /** {loglikelihood, greedy (1 or 0)}, or null. */
    public synchronized double[] get(String key) {
        return entries.get(key);
    }

    public synchronized void put(String key, double loglikelihood, boolean greedy) {
        entries.put(key, new double[] {loglikelihood, greedy ? 1 : 0});
        try {
            if (out == null) {
                out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            }
            out.write(key + "\t" + loglikelihood + "\t" + (greedy ? 1 : 0) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write response cache " + file, e);
        }
    }

    /** Makes everything written so far durable (called after each batch). */
    public synchronized void flush() {
        try {
            if (out != null) {
                out.flush();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write response cache " + file, e);
        }
    }

    @Override
    public synchronized void close() {
        flush();
        try {
            if (out != null) {
                out.close();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write response cache " + file, e);
        }
    }
}
