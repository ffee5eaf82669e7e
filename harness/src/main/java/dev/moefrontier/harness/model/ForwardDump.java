package dev.moefrontier.harness.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.moefrontier.harness.io.DType;
import dev.moefrontier.harness.io.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs each sequence on its own and records, under the conformance fixtures' names, {@code logits.{s}} [T, V] and per
 * MoE layer {@code router_logits.{s}.{L}} [T, E], {@code topk_idx.{s}.{L}} [T, k] (as float32),
 * {@code topk_weight.{s}.{L}} [T, k] and {@code moe_input.{s}.{L}} [T, H]. This is what {@code frontier forward}
 * writes and what the conformance tests compare.
 */
public final class ForwardDump {

    /** A float32 tensor copied out of the model. */
    public record Tensor(long[] shape, float[] data) {}

    private ForwardDump() {}

    public static Map<String, Tensor> run(MoeTransformer model, List<int[]> sequences) {
        return run(model, sequences, ModelPatch.NONE);
    }

    /** Like {@link #run(MoeTransformer, List)} on the patched model. */
    public static Map<String, Tensor> run(MoeTransformer model, List<int[]> sequences, ModelPatch patch) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (int s = 0; s < sequences.size(); s++) {
            int seq = s;
            Map<String, Tensor> layers = new LinkedHashMap<>();
            ForwardObserver observer = new ForwardObserver() {
                @Override
                public void onMoe(MoeLayerEvent e) {
                    int l = e.layer();
                    layers.put("router_logits." + seq + "." + l, copy(e.routerLogits()));
                    layers.put("topk_idx." + seq + "." + l, copy(e.topkIndices()));
                    layers.put("topk_weight." + seq + "." + l, copy(e.topkWeights()));
                    layers.put("moe_input." + seq + "." + l, copy(e.input()));
                }
            };
            try (NDManager m = model.manager().newSubManager()) {
                NDArray logits = model.logits(sequences.get(s), patch, observer, m);
                Tensor t = copy(logits);
                dev.moefrontier.harness.util.NonFiniteException.check(t.data(), "logits of sequence " + s + " [T, V] (model "
                        + model.checkpoint().dir() + ")");
                out.put("logits." + s, t);
            }
            out.putAll(layers);
        }
        return out;
    }

    private static Tensor copy(NDArray a) {
        return new Tensor(a.getShape().getShape(), HostArrays.floats(a));
    }

    /** Writes the tensors as F32 safetensors (atomically). */
    public static void write(Map<String, Tensor> tensors, Path file, Map<String, String> metadata) throws IOException {
        SafetensorsWriter w = new SafetensorsWriter();
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.putAll(metadata);
        w.metadata(meta);
        tensors.forEach((name, t) -> w.addFloats(name, DType.F32, t.shape(), t.data()));
        w.write(file);
    }
}
