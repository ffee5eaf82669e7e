package dev.moefrontier.harness.calib;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.moefrontier.harness.io.CheckpointException;
import dev.moefrontier.harness.runtime.Engines;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The model's own {@code tokenizer.json} through DJL's Hugging Face tokenizers (no special tokens, no truncation). */
public final class Tokenization {
    private Tokenization() {}

    /** Loads {@code modelDir/tokenizer.json}; a missing file is a one-line error naming it. */
    public static HuggingFaceTokenizer load(Path modelDir) {
        Engines.offline();
        Path file = modelDir.resolve("tokenizer.json");
        if (!Files.isRegularFile(file)) {
            throw CheckpointException.of(file, "no such file: text needs the model's tokenizer; use token ids"
                    + " ({\"input_ids\": [[...]]} .json) for models without one");
        }
        try {
            return HuggingFaceTokenizer.builder()
                    .optTokenizerPath(file)
                    .optAddSpecialTokens(false)
                    .optTruncation(false)
                    .optPadding(false)
                    .build();
        } catch (IOException | RuntimeException e) {
            throw CheckpointException.of(file, "cannot load tokenizer: " + String.valueOf(e.getMessage()).replace('\n', ' '));
        }
    }

    /** Token ids of {@code text} as ints. */
    public static int[] encode(HuggingFaceTokenizer tok, String text) {
        long[] ids = tok.encode(text, false, false).getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = Math.toIntExact(ids[i]);
        }
        return out;
    }
}
