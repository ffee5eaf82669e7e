package dev.moefrontier.minis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.moefrontier.harness.calib.Tokenization;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The trained BPE, written as tokenizer.json, tokenizes through DJL's Hugging Face tokenizers as it was trained. */
class TokenizerTrainingTest {
    @TempDir
    Path tmp;

    @Test
    void huggingFaceTokenizersReproduceTheTrainingSegmentation() throws IOException {
        List<String> texts = new ArrayList<>();
        for (Corpus.Line l : Corpus.lines(Corpus.Split.TRAIN, 0, 3000)) {
            texts.add(l.text() + "\n");
        }
        BpeTrainer.Result r = BpeTrainer.train(texts, 512);
        assertTrue(r.vocab().size() <= 512 && r.vocab().size() > 400, "vocabulary " + r.vocab().size());
        BpeTrainer.write(r, tmp.resolve("tokenizer.json"));
        try (HuggingFaceTokenizer tok = Tokenization.load(tmp)) {
            long total = 0;
            for (String t : texts) {
                int[] ids = Tokenization.encode(tok, t);
                total += ids.length;
                assertEquals(t, tok.decode(java.util.Arrays.stream(ids).asLongStream().toArray(), false), "round trip");
            }
            // Encoding by merge rank gives the segmentation the trainer ended with, token for token in total.
            assertEquals(r.tokens(), total);
            int[] digits = Tokenization.encode(tok, "37 + 45 = 82");
            System.out.println(java.util.Arrays.toString(digits) + " " + r.tokens() / (double) texts.size());
            assertTrue(digits.length >= 8, "digits are single tokens");
        }
    }
}
