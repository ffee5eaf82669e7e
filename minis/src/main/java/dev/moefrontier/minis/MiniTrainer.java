package dev.moefrontier.minis;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.moefrontier.harness.io.Checkpoint;
import dev.moefrontier.harness.io.CheckpointWriter;
import dev.moefrontier.harness.io.DType;
import dev.moefrontier.harness.io.SafetensorsWriter;
import dev.moefrontier.harness.model.Family;
import dev.moefrontier.harness.model.ForwardObserver;
import dev.moefrontier.harness.model.ModelConfig;
import dev.moefrontier.harness.model.ModelGraph;
import dev.moefrontier.harness.model.ModelWeights;
import dev.moefrontier.harness.model.TensorLayout;
import dev.moefrontier.harness.model.TensorLoader;
import dev.moefrontier.harness.model.TensorSource;
import dev.moefrontier.harness.model.TokenBatch;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Trains a mini with DJL autograd: the parameters are the checkpoint's tensors (Hugging Face names, fused experts), and
 * every step runs the runtime's own model definition ({@link ModelGraph}) on them, so what is trained is exactly what
 * the runtime later loads. Loss: next-token cross-entropy plus {@code auxCoef} times the router load-balancing loss;
 * AdamW (β = 0.9, 0.95; weight decay 0.1 on matrices) with global gradient-norm clipping at 1, linear warm-up and
 * cosine decay to 10% of the peak learning rate.
 */
final class MiniTrainer implements AutoCloseable {
    private static final double BETA1 = 0.9;
    private static final double BETA2 = 0.95;
    private static final double EPS = 1e-8;
    private static final double WEIGHT_DECAY = 0.1;
    private static final double CLIP = 1.0;

    /** Losses of one step. */
    record StepLoss(double loss, double nll, double balance) {}

    private final MiniSpec spec;
    private final ModelConfig config;
    private final NDManager base;
    private final ModelGraph graph;
    private final Map<String, NDArray> params = new LinkedHashMap<>();
    private final Map<String, NDArray[]> moments = new LinkedHashMap<>();
    private int step;
    private int skipped;

    /** Starts from the float32 checkpoint in {@code initial} (fused experts). */
    MiniTrainer(MiniSpec spec, Path initial, Device device) {
        this.spec = spec;
        this.config = ModelConfig.load(initial);
        this.base = dev.moefrontier.harness.runtime.Engines.manager(device);
        this.graph = ModelGraph.differentiable(config, base, 16);
        try (Checkpoint ckpt = Checkpoint.open(initial)) {
            TensorLoader loader = new TensorLoader(ckpt);
            for (String name : TensorLayout.expected(config, TensorLayout.ExpertStorage.FUSED).keySet()) {
                NDArray p = loader.load(name, base);
                p.setRequiresGradient(true);
                params.put(name, p);
                moments.put(name, new NDArray[] {base.zeros(p.getShape()), base.zeros(p.getShape())});
            }
        }
    }

    /** Steps skipped because the gradient was not finite. */
    int skipped() {
        return skipped;
    }

    ModelConfig config() {
        return config;
    }

    /** The parameters (Hugging Face names), live. */
    Map<String, NDArray> parameters() {
        return params;
    }

    long parameterCount() {
        return params.values().stream().mapToLong(p -> p.getShape().size()).sum();
    }

    /** Learning rate at a step: linear warm-up over 5% of the steps, then cosine decay to 10% of the peak. */
    double learningRate(int s) {
        int warm = Math.max(1, spec.steps() / 20);
        if (s < warm) {
            return spec.lr() * (s + 1) / warm;
        }
        double t = (double) (s - warm) / Math.max(1, spec.steps() - warm);
        return spec.lr() * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, t))));
    }

    /** The source the model definition reads: differentiable views of the parameters. */
    private TensorSource views() {
        return (name, m) -> {
            NDArray p = params.get(name);
            NDArray v = p.reshape(p.getShape()); // a view: uses are recorded, closing it leaves the parameter alone
            v.attach(m);
            return v;
        };
    }

    /** One optimizer step on windows of {@code context + 1} tokens. */
    StepLoss step(List<int[]> windows) {
        StepLoss l = backward(windows);
        update(learningRate(step));
        step++;
        return l;
    }

    /** Loss of windows of {@code context + 1} tokens; gradients are added to the parameters' (autograd). */
    StepLoss backward(List<int[]> windows) {
        try (NDManager s = base.newSubManager(); GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
            NDArray[] losses = losses(windows, s);
            gc.backward(losses[0]);
            return new StepLoss(losses[0].getFloat(), losses[1].getFloat(), losses[2].getFloat());
        }
    }

    /** The loss without recording anything (autograd is off outside a gradient collector). */
    StepLoss loss(List<int[]> windows) {
        try (NDManager s = base.newSubManager()) {
            NDArray[] losses = losses(windows, s);
            return new StepLoss(losses[0].getFloat(), losses[1].getFloat(), losses[2].getFloat());
        }
    }

    /** {total, cross-entropy, balance} as scalars on {@code s}. */
    private NDArray[] losses(List<int[]> windows, NDManager s) {
        int t = windows.get(0).length - 1;
        List<int[]> inputs = new ArrayList<>();
        long[] targets = new long[windows.size() * t];
        for (int b = 0; b < windows.size(); b++) {
            int[] w = windows.get(b);
            inputs.add(Arrays.copyOf(w, t));
            for (int i = 0; i < t; i++) {
                targets[b * t + i] = w[i + 1];
            }
        }
        ModelWeights w = weights(s);
        RouterBalanceLoss router = new RouterBalanceLoss(s, config.moe().numExperts());
        NDArray hidden = graph.forward(new TokenBatch(inputs), w, router, s); // [B, T, H]
        NDArray logp = hidden.matMul(w.lmHeadT()).logSoftmax(-1); // [B, T, V]
        NDArray ce = logp.gather(s.create(targets, new Shape(windows.size(), t, 1)), -1).mean().neg();
        NDArray bal = router.loss();
        NDArray total = ce.add(bal.mul((float) spec.auxCoef())); // float: two 0-d arrays would promote to float64
        return new NDArray[] {total, ce, bal};
    }

    /** Logits [B, T, V] of the parameters' current values, on {@code m} (not recorded). */
    NDArray logits(List<int[]> sequences, NDManager m) {
        ModelWeights w = weights(m);
        return graph.forward(new TokenBatch(sequences), w, ForwardObserver.NONE, m).matMul(w.lmHeadT());
    }

    private ModelWeights weights(NDManager s) {
        return new ModelWeights(config, views(), TensorLayout.ExpertStorage.FUSED, s, ModelWeights.Residency.RESIDENT);
    }

    /** AdamW with global-norm clipping; gradients are zeroed afterwards. */
    private void update(double lr) {
        try (NDManager u = base.newSubManager()) {
            Map<String, NDArray> grads = new LinkedHashMap<>();
            double sq = 0;
            for (Map.Entry<String, NDArray> e : params.entrySet()) {
                NDArray g = e.getValue().getGradient();
                g.attach(u);
                grads.put(e.getKey(), g);
                sq += g.square().sum().toType(DataType.FLOAT64, false).getDouble();
            }
            double norm = Math.sqrt(sq);
            if (!Double.isFinite(norm)) { // skip the step (a rare overflow), keep the moments
                grads.values().forEach(g -> g.set(new NDIndex(":"), 0f));
                skipped++;
                return;
            }
            double scale = norm > CLIP ? CLIP / norm : 1.0;
            int t = step + 1;
            double bc1 = 1 - Math.pow(BETA1, t);
            double bc2 = 1 - Math.pow(BETA2, t);
            for (Map.Entry<String, NDArray> e : params.entrySet()) {
                NDArray p = e.getValue();
                NDArray g = grads.get(e.getKey());
                NDArray[] mv = moments.get(e.getKey());
                // Temporaries derived from parameters and moments land on u (closed below), not on the base manager.
                p.tempAttach(u);
                mv[0].tempAttach(u);
                mv[1].tempAttach(u);
                NDArray gs = g.mul(scale);
                mv[0].muli(BETA1).addi(gs.mul(1 - BETA1));
                mv[1].muli(BETA2).addi(gs.square().muli(1 - BETA2));
                NDArray upd = mv[0].div(bc1).divi(mv[1].div(bc2).sqrt().addi(EPS)).muli(lr);
                if (p.getShape().dimension() >= 2 && !e.getKey().contains("embed_tokens")) {
                    upd.addi(p.mul(lr * WEIGHT_DECAY));
                }
                p.subi(upd);
                g.set(new NDIndex(":"), 0f); // a fill, so that even a non-finite gradient is cleared
            }
        }
    }

    /**
     * Tensor bytes per safetensors file of an export: larger minis are sharded with an index, as hub checkpoints are, so
     * no committed file exceeds 8 MB.
     */
    static final long SHARD_BYTES = 8_000_000L;

    /**
     * Writes the parameters in {@code dtype} and the family's real layout ({@code storage}: OLMoE checkpoints keep one
     * tensor per expert, Qwen3.5 fuses them): {@code model.safetensors}, or shards of {@link #SHARD_BYTES} plus
     * {@code model.safetensors.index.json}.
     */
    void export(Path dir, DType dtype, TensorLayout.ExpertStorage storage) throws IOException {
        Family f = config.family();
        int inter = config.moe().intermediate();
        int h = config.hiddenSize();
        Map<String, float[]> host = new HashMap<>();
        java.util.function.Function<String, float[]> values = n -> host.computeIfAbsent(n, k -> params.get(k).toFloatArray());
        CheckpointWriter w = new CheckpointWriter(SHARD_BYTES);
        for (Map.Entry<String, long[]> e : TensorLayout.expected(config, storage).entrySet()) {
            String name = e.getKey();
            float[] v;
            if (params.containsKey(name)) {
                v = values.apply(name);
            } else { // a per-expert tensor: cut it out of the fused parameter
                int[] lxw = expertOf(name);
                if (lxw[2] < 2) {
                    float[] gu = values.apply(f.fusedGateUp(lxw[0])); // [E, 2I, H]
                    int from = (lxw[1] * 2 + lxw[2]) * inter * h;
                    v = Arrays.copyOfRange(gu, from, from + inter * h);
                } else {
                    float[] dn = values.apply(f.fusedDown(lxw[0])); // [E, H, I]
                    int from = lxw[1] * h * inter;
                    v = Arrays.copyOfRange(dn, from, from + h * inter);
                }
            }
            float[] data = v;
            w.add(name, dtype, e.getValue(), out -> SafetensorsWriter.writeAll(out, SafetensorsWriter.encode(data, dtype)));
        }
        w.write(dir);
    }

    /** (layer, expert, projection) of a per-expert tensor name. */
    private int[] expertOf(String name) {
        Family f = config.family();
        for (int l = 0; l < config.numLayers(); l++) {
            for (int x = 0; x < config.moe().numExperts(); x++) {
                for (int p = 0; p < 3; p++) {
                    if (f.expert(l, x, p).equals(name)) {
                        return new int[] {l, x, p};
                    }
                }
            }
        }
        throw new IllegalStateException("no parameter for " + name);
    }

    @Override
    public void close() {
        base.close();
    }
}
