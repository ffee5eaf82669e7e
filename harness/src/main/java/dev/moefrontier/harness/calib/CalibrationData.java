package dev.moefrontier.harness.calib;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.moefrontier.harness.data.Records;
import dev.moefrontier.harness.io.CheckpointException;
import dev.moefrontier.harness.model.InputsFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;

/** The token windows of a calibration run. */
public record CalibrationData(CalibrationSpec spec, List<int[]> windows) {

    /** Total tokens. */
    public long tokens() {
        long n = 0;
        for (int[] w : windows) {
            n += w.length;
        }
        return n;
    }

    /**
     * Loads the windows of {@code spec} for a model with {@code vocab} tokens and a context of {@code context} positions
     * whose directory is {@code modelDir} (for its tokenizer). Windows longer than the context are refused.
     */
    public static CalibrationData load(CalibrationSpec spec, Path modelDir, int vocab, int context) {
        if (spec.kind() == CalibrationSpec.Kind.TOKEN_IDS) {
            List<int[]> seqs = InputsFile.read(spec.source());
            InputsFile.checkVocabulary(spec.source(), seqs, vocab);
            InputsFile.checkContext(spec.source(), seqs, context);
            return new CalibrationData(spec, Collections.unmodifiableList(seqs));
        }
        if (spec.length() > context) {
            throw CheckpointException.of(spec.source(), "calibration windows of " + spec.length() + " tokens are longer than"
                    + " the model's context of " + context + " (max_position_embeddings); use --calib-length " + context
                    + " or less");
        }
        List<String> docs = spec.kind() == CalibrationSpec.Kind.JSONL ? readJsonl(spec.source()) : readText(spec.source());
        try (HuggingFaceTokenizer tok = Tokenization.load(modelDir)) {
            List<int[]> encoded = new ArrayList<>();
            long total = 0;
            for (String d : docs) {
                int[] ids = Tokenization.encode(tok, d);
                encoded.add(ids);
                total += ids.length;
            }
            if (total < spec.length()) {
                throw CheckpointException.of(spec.source(), "corpus has " + total + " tokens, fewer than one window of "
                        + spec.length());
            }
            int[] stream = new int[Math.toIntExact(total)];
            int p = 0;
            for (int[] ids : encoded) {
                System.arraycopy(ids, 0, stream, p, ids.length);
                p += ids.length;
            }
            SplittableRandom rnd = new SplittableRandom(spec.seed());
            List<int[]> windows = new ArrayList<>();
            for (int i = 0; i < spec.count(); i++) {
                int start = rnd.nextInt(stream.length - spec.length() + 1);
                windows.add(java.util.Arrays.copyOfRange(stream, start, start + spec.length()));
            }
            InputsFile.checkVocabulary(spec.source(), windows, vocab);
            return new CalibrationData(spec, Collections.unmodifiableList(windows));
        }
    }

    /** The windows of {@code spec} for {@code model}: its vocabulary, context and tokenizer. */
    public static CalibrationData load(CalibrationSpec spec, dev.moefrontier.harness.model.MoeTransformer model) {
        return load(spec, model.checkpoint().dir(), model.config().vocabSize(), model.config().maxPositions());
    }

    /** Documents of a plain-text file: blocks separated by blank lines. */
    static List<String> readText(Path file) {
        try {
            String all = Files.readString(file, StandardCharsets.UTF_8);
            List<String> docs = new ArrayList<>();
            for (String block : all.split("\\n\\s*\\n")) {
                if (!block.isBlank()) {
                    docs.add(block.strip());
                }
            }
            if (docs.isEmpty()) {
                throw CheckpointException.of(file, "no text");
            }
            return docs;
        } catch (java.nio.file.NoSuchFileException e) {
            throw CheckpointException.of(file, "no such file");
        } catch (IOException e) {
            throw CheckpointException.of(file, "cannot read: " + dev.moefrontier.harness.util.IoErrors.reason(e));
        }
    }

    /** The {@code text} field of every line of a JSONL file (read as datasets are); errors name the file and line. */
    static List<String> readJsonl(Path file) {
        List<String> docs = new ArrayList<>();
        for (Records.Row r : Records.read(file)) {
            docs.add(r.string("text"));
        }
        if (docs.isEmpty()) {
            throw CheckpointException.of(file, "no documents");
        }
        return docs;
    }
}
