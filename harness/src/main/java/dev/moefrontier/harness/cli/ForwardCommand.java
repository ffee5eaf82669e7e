package dev.moefrontier.harness.cli;

import dev.moefrontier.harness.compress.ExportedCheckpoint;
import dev.moefrontier.harness.model.ForwardDump;
import dev.moefrontier.harness.model.InputsFile;
import dev.moefrontier.harness.model.ModelPatch;
import dev.moefrontier.harness.model.MoeTransformer;
import dev.moefrontier.harness.util.Provenance;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code frontier forward}. */
@Command(name = "forward", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Run token sequences through a checkpoint and dump logits and routing.",
            "Each sequence of an inputs.json runs on its own; written as F32 safetensors:",
            "  logits.{s} [T,V]; per MoE layer L: router_logits.{s}.{L} [T,E], topk_idx.{s}.{L} [T,k] (float-coded),",
            "  topk_weight.{s}.{L} [T,k], moe_input.{s}.{L} [T,H] - the names of the conformance fixtures.",
            "The checkpoint is validated first; on any error nothing is written.",
            "--digests also prints a SHA-256 prefix of every tensor's float32 bits, in forward order (sequence, then layer):",
            "the same command on two machines shows the first tensor where their arithmetic parts. It first prints",
            "kernel.* lines: each kernel of the forward path on fixed inputs (the same for every model), to name the op."
        })
final class ForwardCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Checkpoint directory (config.json + safetensors).")
    Path model;

    @Option(names = "--inputs", required = true, paramLabel = "FILE", description = "{\"input_ids\": [[...], ...]}")
    Path inputs;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "Output .safetensors file.")
    Path out;

    @Option(names = "--digests", description = "Print a digest of every tensor (to compare machines bit for bit).")
    boolean digests;

    @Mixin
    RuntimeOptions runtime;

    @Override
    public Integer call() throws Exception {
        if (Files.isDirectory(out)) {
            throw new Main.UserError(out + ": is a directory; --out names a .safetensors file");
        }
        List<int[]> seqs = InputsFile.read(inputs);
        try (MoeTransformer m = runtime.open(model)) {
            InputsFile.checkVocabulary(inputs, seqs, m.config().vocabSize());
            InputsFile.checkContext(inputs, seqs, m.config().maxPositions());
            ModelPatch patch = ExportedCheckpoint.patchFor(m); // redirect semantics of an exported redirect plan
            if (patch != ModelPatch.NONE) {
                System.err.println("note: applying the redirect plan of " + model.resolve(ExportedCheckpoint.PLAN_FILE));
            }
            Map<String, ForwardDump.Tensor> dump = ForwardDump.run(m, seqs, patch);
            Map<String, String> meta = new LinkedHashMap<>(Provenance.withNumerics());
            meta.put("model", model.toAbsolutePath().toString());
            meta.put("model_type", m.config().modelType());
            meta.put("checkpoint_fingerprint", m.checkpoint().fingerprint());
            meta.put("inputs", inputs.toAbsolutePath().toString());
            ForwardDump.write(dump, out, meta);
            System.out.printf("wrote %d tensors for %d sequence(s) to %s%n", dump.size(), seqs.size(), out);
            if (digests) {
                dev.moefrontier.harness.model.KernelDigests.run().forEach((k, v) -> System.out.printf("%-24s %s%n", "kernel." + k, v));
                List<String> names = new java.util.ArrayList<>(dump.keySet());
                names.sort(java.util.Comparator.comparingInt((String n) -> part(n, 1)).thenComparingInt(n -> n.startsWith("logits") ? 1 : 0)
                        .thenComparingInt(n -> part(n, 2)).thenComparing(n -> n));
                for (String n : names) {
                    System.out.printf("%-24s %s%n", n, digest(dump.get(n).data()));
                }
            }
        }
        return 0;
    }

    /** The sequence (i = 1) or layer (i = 2) number in a dump name ({@code router_logits.S.L}); -1 when absent. */
    private static int part(String name, int i) {
        String[] p = name.split("\\.");
        return p.length > i ? Integer.parseInt(p[i]) : -1;
    }

    static String digest(float[] data) {
        return dev.moefrontier.harness.model.KernelDigests.digest(data);
    }
}
