package dev.moefrontier.harness.util;

import java.io.PrintStream;
import java.time.Duration;

/**
 * A progress bar on standard error with rate and ETA. On a terminal it redraws one line (at most 10 times a second);
 * otherwise (CI, files) it prints a line at every 10%. {@link #quiet(boolean)} silences all bars.
 */
public final class Progress implements AutoCloseable {
    private static volatile boolean quiet;

    private final String label;
    private final long total;
    private final String unit;
    private final PrintStream out;
    private final boolean tty;
    private final long start = System.nanoTime();
    private long done;
    private long lastDraw;
    private int lastDecile = -1;
    private boolean closed;
    private String status = "";

    private Progress(String label, long total, String unit) {
        this.label = label;
        this.total = Math.max(0, total);
        this.unit = unit;
        this.out = System.err;
        this.tty = System.console() != null;
    }

    /** Silences (or re-enables) every bar, e.g. for {@code --quiet} or tests. */
    public static void quiet(boolean q) {
        quiet = q;
    }

    /** Starts a bar of {@code total} steps. */
    public static Progress start(String label, long total, String unit) {
        Progress p = new Progress(label, total, unit);
        p.draw(true);
        return p;
    }

    /** Advances by {@code n} steps. */
    public synchronized void step(long n) {
        done = Math.min(total, done + n);
        draw(false);
    }

    /** A short status shown after the bar (e.g. the current loss). */
    public synchronized void status(String s) {
        status = s == null ? "" : s;
    }

    public synchronized long done() {
        return done;
    }

    private void draw(boolean force) {
        if (quiet || closed) {
            return;
        }
        long now = System.nanoTime();
        if (tty) {
            if (!force && done < total && now - lastDraw < 100_000_000L) {
                return;
            }
            lastDraw = now;
            out.print("\r" + line(now) + "\033[K");
            out.flush();
        } else {
            int decile = total == 0 ? 10 : (int) (done * 10 / total);
            if (decile != lastDecile || force) {
                lastDecile = decile;
                out.println(line(now));
            }
        }
    }

    private String line(long now) {
        double secs = (now - start) / 1e9;
        double frac = total == 0 ? 1 : (double) done / total;
        int width = 24;
        int fill = (int) Math.round(frac * width);
        StringBuilder sb = new StringBuilder();
        sb.append(label).append(" [").append("#".repeat(fill)).append(".".repeat(width - fill)).append("] ");
        sb.append(done).append('/').append(total).append(' ').append(unit);
        sb.append(String.format(" %3.0f%% %s", frac * 100, clock(secs)));
        if (done > 0 && secs > 0) {
            sb.append(String.format(" %.1f %s/s", done / secs, unit));
            if (done < total) {
                sb.append(" ETA ").append(clock(secs / done * (total - done)));
            }
        }
        if (!status.isEmpty()) {
            sb.append("  ").append(status);
        }
        return sb.toString();
    }

    static String clock(double secs) {
        Duration d = Duration.ofMillis((long) (secs * 1000));
        return d.toHours() > 0 ? String.format("%d:%02d:%02d", d.toHours(), d.toMinutesPart(), d.toSecondsPart())
                : String.format("%02d:%02d", d.toMinutesPart(), d.toSecondsPart());
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        if (!quiet) {
            if (tty) {
                out.print("\r" + line(System.nanoTime()) + "\033[K\n");
            } else if (lastDecile != 10) {
                out.println(line(System.nanoTime()));
            }
            out.flush();
        }
        closed = true;
    }
}
