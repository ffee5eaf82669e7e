package dev.moefrontier.harness.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Writes a word-level {@code tokenizer.json} (loaded through DJL's Hugging Face tokenizers like any real one). */
public final class WordTokenizer {
    private WordTokenizer() {}

    /**
     * Word {@code vocab.get(i)} gets id {@code i}; the first word is also the unknown token. The pre-tokenizer is
     * Hugging Face's {@code Whitespace} ({@code \w+|[^\w\s]+}), there is no post-processor (no special tokens).
     */
    public static void write(Path modelDir, List<String> vocab) throws IOException {
        StringBuilder v = new StringBuilder();
        for (int i = 0; i < vocab.size(); i++) {
            v.append(i == 0 ? "" : ", ").append('"').append(vocab.get(i)).append("\": ").append(i);
        }
        Files.writeString(modelDir.resolve("tokenizer.json"), "{\"version\": \"1.0\", \"truncation\": null, \"padding\": null,"
                + " \"added_tokens\": [], \"normalizer\": null, \"pre_tokenizer\": {\"type\": \"Whitespace\"},"
                + " \"post_processor\": null, \"decoder\": null, \"model\": {\"type\": \"WordLevel\", \"vocab\": {"
                + v + "}, \"unk_token\": \"" + vocab.get(0) + "\"}}");
    }
}
