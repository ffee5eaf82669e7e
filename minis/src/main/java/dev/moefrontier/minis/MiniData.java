package dev.moefrontier.minis;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The minis' data files, in the formats the evaluators and calibration read: {@code calibration.jsonl} (calibration
 * split, {@code text} per line), {@code mini_ppl.jsonl} (test split, per-domain perplexity) and {@code mini_mc.jsonl}
 * (per-domain multiple choice). Deterministic: the same corpus version always writes the same bytes.
 */
public final class MiniData {
    /** Calibration lines (all domains, balanced). */
    public static final int CALIBRATION_LINES = 1000;
    /** Held-out lines per domain. */
    public static final int TEST_LINES_PER_DOMAIN = 100;
    /** Multiple-choice items per domain. */
    public static final int ITEMS_PER_DOMAIN = 100;

    /** The file names, in writing order. */
    public static final List<String> FILES = List.of("calibration.jsonl", "mini_ppl.jsonl", "mini_mc.jsonl");

    private MiniData() {}

    /** Writes the three files into {@code dir}. */
    public static void write(Path dir) throws IOException {
        Files.createDirectories(dir);
        Corpus.writeLines(dir.resolve("calibration.jsonl"), Corpus.lines(Corpus.Split.CALIBRATION, 0, CALIBRATION_LINES));
        int domains = Corpus.DOMAINS.size();
        Corpus.writeLines(dir.resolve("mini_ppl.jsonl"), Corpus.lines(Corpus.Split.TEST, 0, TEST_LINES_PER_DOMAIN * domains));
        Corpus.writeItems(dir.resolve("mini_mc.jsonl"), Corpus.items(ITEMS_PER_DOMAIN));
    }
}
