package dev.moefrontier.harness.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import dev.moefrontier.harness.io.Checkpoint;
import dev.moefrontier.harness.model.ModelConfig.LayerSpec;
import dev.moefrontier.harness.model.ModelWeights.Residency;
import dev.moefrontier.harness.model.TensorLayout.ExpertStorage;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * A decoder-only MoE language model, the one model definition for every family (differences come from
 * {@link Family}). Per layer:
 *
 * <pre>
 *   h = h + mixer(rmsnorm_in(h))        mixer: softmax attention or Gated DeltaNet     [B, T, H]
 *   x = rmsnorm_post(h)                                                                  [B, T, H]
 *   h = h + mlp(x)                      mlp: sparse MoE (+ shared expert) or dense SwiGLU [B, T, H]
 * </pre>
 *
 * then a final RMSNorm and the LM head. Batches run layer-major: every micro-batch passes layer l before any
 * passes l + 1, so with {@link Residency#STREAM} only one layer's weights are in memory at a time.
 */
public final class MoeTransformer implements AutoCloseable {

    /** Receives the final-normed hidden state [B, T, H] of each batch; valid during the call. */
    @FunctionalInterface
    public interface HiddenSink {
        void accept(int index, TokenBatch batch, NDArray hidden);
    }

    private final ModelConfig config;
    private final Checkpoint checkpoint;
    private final NDManager manager;
    private final ModelWeights weights;
    private final ModelGraph graph;

    private MoeTransformer(Builder b, ModelConfig config, Checkpoint checkpoint, ExpertStorage storage) {
        this.config = config;
        this.checkpoint = checkpoint;
        this.manager = dev.moefrontier.harness.runtime.Engines.manager(b.device);
        try {
            Residency residency = b.residency != null ? b.residency : autoResidency(checkpoint);
            this.weights = new ModelWeights(config, checkpoint, storage, manager, residency);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
        this.graph = new ModelGraph(config, manager, b.deltaMode, b.deltaChunk, false);
    }

    /** Opens {@code dir} with default options (CPU, residency chosen by size). */
    public static MoeTransformer open(Path dir) {
        return builder().setPath(dir).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Keeps layers resident when the float32 model takes under a quarter of physical memory (at most 16 GiB). */
    private static Residency autoResidency(Checkpoint ckpt) {
        long f32 = 0;
        for (var t : ckpt.tensors().values()) {
            f32 += t.numel() * 4;
        }
        long budget = Math.min(16L << 30, physicalMemory() / 4);
        return f32 <= budget ? Residency.RESIDENT : Residency.STREAM;
    }

    static long physicalMemory() {
        var os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            return sun.getTotalMemorySize();
        }
        return 8L << 30;
    }

    public ModelConfig config() {
        return config;
    }

    public Checkpoint checkpoint() {
        return checkpoint;
    }

    public ModelWeights weights() {
        return weights;
    }

    public NDManager manager() {
        return manager;
    }

    /** One batch; returns the final-normed hidden state [B, T, H] on {@code out}. */
    public NDArray forward(TokenBatch batch, ForwardObserver observer, NDManager out) {
        return forward(batch, ModelPatch.NONE, observer, out);
    }

    /** One batch through the patched model; returns the final-normed hidden state [B, T, H] on {@code out}. */
    public NDArray forward(TokenBatch batch, ModelPatch patch, ForwardObserver observer, NDManager out) {
        NDArray[] result = new NDArray[1];
        run(List.of(batch), patch, observer, (i, b, hidden) -> {
            result[0] = hidden.duplicate();
            result[0].attach(out);
        });
        return result[0];
    }

    /** Logits [T, V] of one sequence, on {@code out}. */
    public NDArray logits(int[] ids, ForwardObserver observer, NDManager out) {
        return logits(ids, ModelPatch.NONE, observer, out);
    }

    /** Logits [T, V] of one sequence through the patched model, on {@code out}. */
    public NDArray logits(int[] ids, ModelPatch patch, ForwardObserver observer, NDManager out) {
        NDArray[] result = new NDArray[1];
        run(List.of(TokenBatch.of(ids)), patch, observer, (i, b, hidden) -> {
            result[0] = logits(hidden.get(0));
            result[0].attach(out);
        });
        return result[0];
    }

    /** {@code lm_head} applied to hidden states [..., H] → [..., V] (on the hidden state's manager). */
    public NDArray logits(NDArray hidden) {
        return hidden.matMul(weights.lmHeadT());
    }

    /** Runs every batch through the model, layer-major, and hands each final hidden state to {@code sink}. */
    public void run(List<TokenBatch> batches, ForwardObserver observer, HiddenSink sink) {
        run(batches, ModelPatch.NONE, observer, sink);
    }

    /** Like {@link #run(List, ForwardObserver, HiddenSink)} with per-layer overrides from {@code patch}. */
    public void run(List<TokenBatch> batches, ModelPatch patch, ForwardObserver observer, HiddenSink sink) {
        Objects.requireNonNull(observer, "observer");
        Objects.requireNonNull(patch, "patch");
        if (dev.moefrontier.harness.util.RunMetrics.enabled()) { // a benchmark running this process counts the forward's real tokens
            batches.forEach(b -> dev.moefrontier.harness.util.RunMetrics.add("forward_tokens", b.realPositions().length));
        }
        try (LayerCursor cursor = cursor(batches)) {
            while (cursor.next() < config.numLayers()) {
                cursor.advance(patch, observer);
            }
            cursor.finish(sink);
        }
    }

    /** A cursor over the layers for these batches, positioned before layer 0 (embeddings computed). */
    public LayerCursor cursor(List<TokenBatch> batches) {
        return new LayerCursor(batches);
    }

    /**
     * A cursor positioned before layer {@code layer} with the given hidden states ([B, T, H] per batch, copied), e.g.
     * the outputs of a patched layer, to run the remaining layers.
     */
    public LayerCursor cursorAt(int layer, List<TokenBatch> batches, List<NDArray> hidden) {
        return new LayerCursor(layer, batches, hidden);
    }

    /**
     * Drives the model layer by layer over fixed batches, holding the hidden states that enter the next layer. Callers
     * can run a layer without keeping its output ({@link #peek}), e.g. to collect statistics before changing that
     * layer, then {@link #advance} with the changed layer; {@link #snapshot} copies the hidden states so later layers
     * can be re-run from here under different patches.
     */
    public final class LayerCursor implements AutoCloseable {
        private final List<TokenBatch> batches;
        private final NDManager run;
        private NDArray[] h;
        private int next;

        private LayerCursor(List<TokenBatch> batches) {
            this.batches = List.copyOf(batches);
            this.run = manager.newSubManager();
            this.h = new NDArray[batches.size()];
            for (int i = 0; i < h.length; i++) {
                h[i] = graph.embed(batches.get(i), weights.embedding(), run);
            }
        }

        private LayerCursor(int layer, List<TokenBatch> batches, List<NDArray> hidden) {
            if (hidden.size() != batches.size()) {
                throw new IllegalArgumentException(batches.size() + " batches but " + hidden.size() + " hidden states");
            }
            this.batches = List.copyOf(batches);
            this.run = manager.newSubManager();
            this.h = new NDArray[hidden.size()];
            for (int i = 0; i < h.length; i++) {
                h[i] = hidden.get(i).duplicate();
                h[i].attach(run);
            }
            this.next = layer;
        }

        private LayerCursor(LayerCursor from) {
            this.batches = from.batches;
            this.run = manager.newSubManager();
            this.h = new NDArray[from.h.length];
            for (int i = 0; i < h.length; i++) {
                h[i] = from.h[i].duplicate();
                h[i].attach(run);
            }
            this.next = from.next;
        }

        /** Index of the layer the hidden states enter next. */
        public int next() {
            return next;
        }

        public List<TokenBatch> batches() {
            return batches;
        }

        /** Runs layer {@link #next()} for the observer only; the hidden states stay where they are. */
        public void peek(ModelPatch patch, ForwardObserver observer) {
            step(patch, observer, false);
        }

        /** Runs layer {@link #next()} and moves on to the following layer. */
        public void advance(ModelPatch patch, ForwardObserver observer) {
            step(patch, observer, true);
            next++;
        }

        private void step(ModelPatch patch, ForwardObserver observer, boolean keep) {
            if (next >= config.numLayers()) {
                throw new IllegalStateException("all " + config.numLayers() + " layers have run");
            }
            LayerSpec spec = config.layers().get(next);
            LayerWeights w = weights.acquire(next);
            try {
                for (int i = 0; i < h.length; i++) {
                    MoeOverride ov = spec.mlp() == ModelConfig.Mlp.MOE ? patch.moe(next, w.moe()) : null;
                    NDArray out = graph.layer(h[i], w, ov, spec, batches.get(i), observer, run);
                    if (keep) {
                        h[i].close();
                        h[i] = out;
                    } else {
                        out.close();
                    }
                }
            } finally {
                weights.release(w);
            }
        }

        /** The hidden state [B, T, H] of batch {@code i} entering layer {@link #next()} (owned by the cursor). */
        public NDArray hidden(int i) {
            return h[i];
        }

        /** An independent copy of this cursor (same position, copied hidden states). */
        public LayerCursor snapshot() {
            return new LayerCursor(this);
        }

        /** After the last layer: final norm, then each batch's hidden state [B, T, H] to {@code sink}. */
        public void finish(HiddenSink sink) {
            if (next != config.numLayers()) {
                throw new IllegalStateException("finish() after layer " + next + " of " + config.numLayers());
            }
            for (int i = 0; i < h.length; i++) {
                try (NDManager scope = run.newSubManager()) {
                    h[i].tempAttach(scope);
                    sink.accept(i, batches.get(i), graph.finalNorm(h[i], weights.finalNorm()));
                }
            }
        }

        @Override
        public void close() {
            run.close();
        }
    }

    @Override
    public void close() {
        try {
            weights.close();
            manager.close();
        } finally {
            checkpoint.close();
        }
    }

    /** Options for {@link MoeTransformer}: {@code set*} for required settings, {@code opt*} for optional ones. */
    public static final class Builder {
        private Path path;
        private Device device = Device.cpu();
        private Residency residency;
        private GatedDeltaNet.Mode deltaMode = GatedDeltaNet.Mode.CHUNKED;
        private int deltaChunk = 64;
        private boolean scanWeights = !"false".equalsIgnoreCase(System.getProperty("frontier.weightScan", "true"));

        /** The checkpoint directory (config.json + safetensors). */
        public Builder setPath(Path path) {
            this.path = path;
            return this;
        }

        /** Device for weights and compute (default CPU). */
        public Builder optDevice(Device device) {
            this.device = device;
            return this;
        }

        /** Keep layers resident or stream them; default: resident when the model is small relative to memory. */
        public Builder optResidency(Residency residency) {
            this.residency = residency;
            return this;
        }

        /** Evaluate Gated DeltaNet as the plain recurrence (reference) instead of chunks. */
        public Builder optRecurrentDeltaNet(boolean recurrent) {
            this.deltaMode = recurrent ? GatedDeltaNet.Mode.RECURRENT : GatedDeltaNet.Mode.CHUNKED;
            return this;
        }

        /** Chunk length of the chunked Gated DeltaNet (default 64). */
        public Builder optDeltaNetChunk(int chunk) {
            if (chunk < 1) {
                throw new IllegalArgumentException("chunk must be positive");
            }
            this.deltaChunk = chunk;
            return this;
        }

        /**
         * Whether to refuse checkpoints with NaN/Inf weights (default on; {@code -Dfrontier.weightScan=false} turns the
         * default off). The scan shares its one pass with the content hash and is remembered per file, so it costs a
         * second on multi-GB checkpoints only the first time.
         */
        public Builder optScanWeights(boolean scan) {
            this.scanWeights = scan;
            return this;
        }

        /** Validates the checkpoint against its config (and its weights for NaN/Inf) and loads the resident weights. */
        public MoeTransformer build() {
            Objects.requireNonNull(path, "setPath is required");
            ModelConfig cfg = ModelConfig.load(path);
            Checkpoint ckpt = Checkpoint.open(path);
            try {
                ExpertStorage storage = TensorLayout.validate(cfg, ckpt);
                if (scanWeights) {
                    double seconds = ckpt.verifyFinite();
                    if (seconds >= 1) {
                        System.err.printf(java.util.Locale.ROOT, "frontier: hashed and scanned %.1f GB of weights for NaN/Inf in"
                                + " %.1f s (remembered; --skip-weight-scan skips the scan)%n", ckpt.totalBytes() / 1e9, seconds);
                    }
                }
                return new MoeTransformer(this, cfg, ckpt, storage);
            } catch (RuntimeException e) {
                ckpt.close();
                throw e;
            }
        }
    }
}
