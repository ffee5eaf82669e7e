package dev.moefrontier.minis;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.moefrontier.harness.calib.Tokenization;
import java.util.ArrayList;
import java.util.List;

/**
 * Training windows: the training split's lines, each followed by a newline, tokenized and packed end to end into
 * windows of {@code length} tokens (documents run across window boundaries, as in pre-training). Deterministic: the
 * n-th window is always the same.
 */
final class TokenStream {
    private final HuggingFaceTokenizer tokenizer;
    private final int length;
    private final int[] buffer;
    private int filled;
    private long nextLine;

    TokenStream(HuggingFaceTokenizer tokenizer, int length) {
        this.tokenizer = tokenizer;
        this.length = length;
        this.buffer = new int[length * 4];
    }

    /** The next window of {@code length} tokens. */
    int[] next() {
        while (filled < length) {
            Corpus.Line l = Corpus.line(Corpus.Split.TRAIN, nextLine++);
            int[] ids = Tokenization.encode(tokenizer, l.text() + "\n");
            if (filled + ids.length > buffer.length) {
                throw new IllegalStateException("line longer than the buffer: " + l.text());
            }
            System.arraycopy(ids, 0, buffer, filled, ids.length);
            filled += ids.length;
        }
        int[] w = java.util.Arrays.copyOf(buffer, length);
        System.arraycopy(buffer, length, buffer, 0, filled - length);
        filled -= length;
        return w;
    }

    /** The next {@code n} windows. */
    List<int[]> next(int n) {
        List<int[]> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(next());
        }
        return out;
    }

    long linesRead() {
        return nextLine;
    }
}
