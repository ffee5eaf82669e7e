package dev.moefrontier.harness.sweep;

import dev.moefrontier.harness.util.Json;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A worker's claim on one cell ({@code claim.json} in the cell's folder), so that two workers on one group split its
 * cells instead of both computing them. The file is created exclusively (the file system decides who wins), its
 * modification time is refreshed every {@link #HEARTBEAT} while the cell runs, and it is deleted when the cell
 * finishes. A claim whose heartbeat is older than {@link #LEASE}, or whose process is gone on this host, belonged to
 * a dead worker and is taken over.
 */
public final class CellClaim implements AutoCloseable {
    /** How often a live worker refreshes its claim. */
    public static final Duration HEARTBEAT = Duration.ofSeconds(20);
    /** A claim not refreshed for this long is expired. */
    public static final Duration LEASE = Duration.ofSeconds(Long.getLong("frontier.claimLeaseSeconds", 120));
    static final String FILE = "claim.json";

    private static final ScheduledExecutorService BEATS = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "frontier-claim-heartbeat");
        t.setDaemon(true);
        return t;
    });

    private final Path file;
    private final java.util.concurrent.ScheduledFuture<?> beat;

    private CellClaim(Path file) {
        this.file = file;
        this.beat = BEATS.scheduleAtFixedRate(this::touch, HEARTBEAT.toMillis(), HEARTBEAT.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Claims the cell whose folder is {@code cellDir}; null when a live worker holds it. */
    public static CellClaim tryClaim(Path cellDir) throws IOException {
        Files.createDirectories(cellDir);
        Path f = cellDir.resolve(FILE);
        for (int attempt = 0; attempt < 2; attempt++) {
            try {
                Files.writeString(f, Json.LINE.toJson(owner()) + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW,
                        StandardOpenOption.WRITE);
                return new CellClaim(f);
            } catch (FileAlreadyExistsException e) {
                if (!expired(f)) {
                    return null;
                }
                // A dead worker's claim: remove it and race for the cell again (CREATE_NEW decides).
                Files.deleteIfExists(f);
            }
        }
        return null;
    }

    static boolean expired(Path f) {
        try {
            FileTime t = Files.getLastModifiedTime(f);
            if (Instant.now().minus(LEASE).isAfter(t.toInstant())) {
                return true;
            }
            Owner o = Json.bind(Files.readString(f, StandardCharsets.UTF_8), Owner.class);
            String host = o.host();
            long pid = o.pid();
            if (hostName().equals(host) && pid != ProcessHandle.current().pid()) {
                return ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true);
            }
            return false;
        } catch (java.nio.file.NoSuchFileException e) {
            return true;
        } catch (IOException | RuntimeException e) {
            return false; // a claim being written: treat as live until its lease says otherwise
        }
    }

    private void touch() {
        try {
            Files.setLastModifiedTime(file, FileTime.from(Instant.now()));
        } catch (IOException e) {
            // A missed heartbeat only risks another worker taking the cell over after the lease.
        }
    }

    /** A claim file's content: who holds the cell. */
    record Owner(String host, long pid, String jvm, String since) {}

    private static Owner owner() {
        return new Owner(hostName(), ProcessHandle.current().pid(), ManagementFactory.getRuntimeMXBean().getName(),
                Instant.now().toString());
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** Releases the claim (the cell's result or error is written by then). */
    @Override
    public void close() throws IOException {
        beat.cancel(false);
        Files.deleteIfExists(file);
    }
}
