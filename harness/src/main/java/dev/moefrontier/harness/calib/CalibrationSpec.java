package dev.moefrontier.harness.calib;

import dev.moefrontier.harness.io.CheckpointException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * Where calibration tokens come from. A {@code .json} file holds token ids ({@code {"input_ids": [[...], ...]}}), used
 * as given; a {@code .txt} (documents separated by blank lines) or {@code .jsonl} (a {@code text} field per line)
 * corpus is tokenized with the model's tokenizer and {@code count} windows of {@code length} tokens are drawn at
 * seeded uniform random offsets of the concatenated token stream.
 *
 * @param source the file
 * @param count windows to draw from a text corpus
 * @param length tokens per window
 * @param seed sampling seed
 */
public record CalibrationSpec(Path source, int count, int length, long seed) {

    /** File kinds. */
    public enum Kind { TOKEN_IDS, TEXT, JSONL }

    public CalibrationSpec {
        if (count < 1 || length < 2) {
            throw new IllegalArgumentException("calibration needs count >= 1 and length >= 2 (got " + count + " x " + length + ")");
        }
    }

    /** Token ids: count and length are taken from the file. */
    public static CalibrationSpec tokenIds(Path file) {
        return new CalibrationSpec(file, 1, 2, 0);
    }

    public Kind kind() {
        String n = source.getFileName().toString().toLowerCase(Locale.ROOT);
        if (n.endsWith(".json")) {
            return Kind.TOKEN_IDS;
        }
        if (n.endsWith(".jsonl")) {
            return Kind.JSONL;
        }
        if (n.endsWith(".txt") || n.endsWith(".text")) {
            return Kind.TEXT;
        }
        throw CheckpointException.of(source, "unknown calibration file type (use .json token ids, .txt or .jsonl)");
    }

    /** SHA-256 of the source file's bytes (so a renamed corpus keeps its cache, an edited one does not). */
    public String contentDigest() {
        try (InputStream in = Files.newInputStream(source)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 20];
            int r;
            while ((r = in.read(buf)) > 0) {
                md.update(buf, 0, r);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (java.nio.file.NoSuchFileException e) {
            throw CheckpointException.of(source, "no such file");
        } catch (IOException e) {
            throw CheckpointException.of(source, "cannot read: " + e.getMessage());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A canonical description for cache keys and provenance. */
    public String describe() {
        return kind() == Kind.TOKEN_IDS ? "ids:" + contentDigest()
                : kind().name().toLowerCase(Locale.ROOT) + ":" + contentDigest() + ":" + count + "x" + length + ":seed" + seed;
    }
}
