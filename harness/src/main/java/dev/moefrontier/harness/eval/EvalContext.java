package dev.moefrontier.harness.eval;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.moefrontier.harness.calib.Tokenization;
import dev.moefrontier.harness.model.ModelPatch;
import dev.moefrontier.harness.model.MoeTransformer;
import dev.moefrontier.harness.runtime.Numerics;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * What an evaluator runs against: a loaded model with an optional patch (a compressed variant), its tokenizer, the
 * request limit and batch size, and the engine that answers loglikelihood requests (with the response cache).
 */
public final class EvalContext implements AutoCloseable {
    private final MoeTransformer model;
    private final ModelPatch patch;
    private final String modelKey;
    private final Integer limit;
    private final int batchTokens;
    private final int maxLength;
    private final boolean addSpecialTokens;
    private final ResponseCache cache;
    private final Consumer<String> log;
    private HuggingFaceTokenizer tokenizer;
    private LoglikelihoodEngine engine;

    private EvalContext(Builder b) {
        this.model = Objects.requireNonNull(b.model, "setModel is required");
        this.patch = b.patch;
        // Responses depend on the numerics too (kernels, threads): a fast-mode answer never serves a reproducible run.
        this.modelKey = (b.modelKey != null ? b.modelKey : model.checkpoint().fingerprint()) + "|" + Numerics.cacheKey();
        this.limit = b.limit;
        this.batchTokens = b.batchTokens;
        if (b.maxLength > defaultMaxLength(model)) {
            throw new IllegalArgumentException("--max-length " + b.maxLength + " exceeds the model's context of "
                    + defaultMaxLength(model) + " tokens (max_position_embeddings of " + model.checkpoint().dir() + ")");
        }
        this.maxLength = b.maxLength > 0 ? b.maxLength : defaultMaxLength(model);
        this.addSpecialTokens = b.addSpecialTokens;
        this.cache = b.cache;
        this.log = b.log;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** lm-eval's rule: the config's max_position_embeddings (or n_positions), else 2048. */
    static int defaultMaxLength(MoeTransformer m) {
        return m.config().maxPositions();
    }

    public MoeTransformer model() {
        return model;
    }

    public ModelPatch patch() {
        return patch;
    }

    /** Identifies model + patch for caches. */
    public String modelKey() {
        return modelKey;
    }

    public Integer limit() {
        return limit;
    }

    public int batchTokens() {
        return batchTokens;
    }

    /** The model's context length for loglikelihood requests (longer inputs are truncated from the left). */
    public int maxLength() {
        return maxLength;
    }

    public Consumer<String> log() {
        return log;
    }

    /** The model's {@code tokenizer.json}, loaded on first use. */
    public synchronized HuggingFaceTokenizer tokenizer() {
        if (tokenizer == null) {
            tokenizer = Tokenization.load(model.checkpoint().dir());
        }
        return tokenizer;
    }

    /** Token ids of text, with the tokenizer's own special tokens when {@code addSpecialTokens} (lm-eval's default). */
    public int[] encode(String text) {
        return encode(text, addSpecialTokens);
    }

    public int[] encode(String text, boolean special) {
        long[] ids = tokenizer().encode(text, special, false).getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = Math.toIntExact(ids[i]);
        }
        return out;
    }

    /**
     * lm-eval's context/continuation split: trailing spaces of the context move to the continuation; the whole string
     * and the context are tokenized and the continuation is the difference.
     */
    public int[][] encodePair(String context, String continuation) {
        if (context.isEmpty()) {
            throw new IllegalArgumentException("empty contexts are not supported (no task here sends one)");
        }
        int n = context.length() - context.stripTrailing().length();
        if (n > 0) {
            continuation = context.substring(context.length() - n) + continuation;
            context = context.substring(0, context.length() - n);
        }
        int[] whole = encode(context + continuation);
        int[] ctx = encode(context);
        return new int[][] {ctx, java.util.Arrays.copyOfRange(whole, Math.min(ctx.length, whole.length), whole.length)};
    }

    public synchronized LoglikelihoodEngine engine() {
        if (engine == null) {
            engine = new LoglikelihoodEngine(model, patch, maxLength, batchTokens, cache, modelKey);
        }
        return engine;
    }

    @Override
    public synchronized void close() {
        if (tokenizer != null) {
            tokenizer.close();
        }
    }

    /** {@code set*} for required settings, {@code opt*} for optional ones. */
    public static final class Builder {
        private MoeTransformer model;
        private ModelPatch patch = ModelPatch.NONE;
        private String modelKey;
        private Integer limit;
        private int batchTokens = 4096;
        private int maxLength;
        private boolean addSpecialTokens = true;
        private ResponseCache cache;
        private Consumer<String> log = s -> { };

        public Builder setModel(MoeTransformer m) {
            this.model = m;
            return this;
        }

        /** A compressed variant, and its cache key (required with a patch). */
        public Builder optPatch(ModelPatch p, String key) {
            this.patch = p;
            this.modelKey = key;
            return this;
        }

        /** Evaluate at most {@code n} documents per task. */
        public Builder optLimit(Integer n) {
            this.limit = n;
            return this;
        }

        public Builder optBatchTokens(int n) {
            this.batchTokens = n;
            return this;
        }

        /** Context length for requests (default: from config.json, else 2048). */
        public Builder optMaxLength(int n) {
            this.maxLength = n;
            return this;
        }

        /** Add the tokenizer's special tokens (BOS for Llama-style tokenizers), as lm-eval does by default. */
        public Builder optAddSpecialTokens(boolean b) {
            this.addSpecialTokens = b;
            return this;
        }

        public Builder optCache(ResponseCache c) {
            this.cache = c;
            return this;
        }

        public Builder optLog(Consumer<String> l) {
            this.log = l;
            return this;
        }

        public EvalContext build() {
            return new EvalContext(this);
        }
    }
}
