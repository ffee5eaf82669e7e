package dev.moefrontier.harness.cli;

import dev.moefrontier.harness.io.DType;
import dev.moefrontier.harness.model.SyntheticCheckpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code frontier synth}. */
@Command(name = "synth", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Write a random checkpoint of any supported family and size.",
            "Uses the real on-disk layout (config.json + safetensors; Qwen3.5 experts fused as [E,2I,H] / [E,H,I]),",
            "for tests and benchmarks.",
            "Values are generated while writing, so checkpoints larger than memory are fine."
        })
final class SynthCommand implements Callable<Integer> {
    @Option(names = "--type", required = true, paramLabel = "TYPE",
            description = "olmoe, qwen2_moe, qwen3_moe, mixtral or qwen3_5_moe.")
    String type;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory (must be empty or absent).")
    Path out;

    @Option(names = "--layers", defaultValue = "2", description = "Decoder layers. Default: ${DEFAULT-VALUE}.")
    int layers;

    @Option(names = "--hidden", defaultValue = "64", description = "Hidden size H. Default: ${DEFAULT-VALUE}.")
    int hidden;

    @Option(names = "--heads", defaultValue = "4", description = "Attention heads. Default: ${DEFAULT-VALUE}.")
    int heads;

    @Option(names = "--kv-heads", defaultValue = "2", description = "Key/value heads. Default: ${DEFAULT-VALUE}.")
    int kvHeads;

    @Option(names = "--head-dim", defaultValue = "16", description = "Head dimension. Default: ${DEFAULT-VALUE}.")
    int headDim;

    @Option(names = "--experts", defaultValue = "8", description = "Routed experts E. Default: ${DEFAULT-VALUE}.")
    int experts;

    @Option(names = "--topk", defaultValue = "2", description = "Experts per token k. Default: ${DEFAULT-VALUE}.")
    int topk;

    @Option(names = "--intermediate", defaultValue = "32", description = "Routed expert width I. Default: ${DEFAULT-VALUE}.")
    int intermediate;

    @Option(names = "--shared", defaultValue = "64", description = "Shared expert width (qwen2_moe, qwen3_5_moe). Default: ${DEFAULT-VALUE}.")
    int shared;

    @Option(names = "--vocab", defaultValue = "256", description = "Vocabulary size. Default: ${DEFAULT-VALUE}.")
    int vocab;

    @Option(names = "--full-attention-interval", defaultValue = "4",
            description = "qwen3_5_moe: every N-th layer is full attention. Default: ${DEFAULT-VALUE}.")
    int interval;

    @Option(names = "--per-expert", description = "Store routed experts one tensor per expert even for qwen3_5_moe.")
    boolean perExpert;

    @Option(names = "--dtype", defaultValue = "f32", description = "f32, bf16 or f16. Default: ${DEFAULT-VALUE}.")
    String dtype;

    @Option(names = "--shard-mb", paramLabel = "MB", description = "Split into shards of at most this many MB (writes an index).")
    Long shardMb;

    @Option(names = "--seed", defaultValue = "0", description = "Random seed. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Override
    public Integer call() throws Exception {
        if (Files.exists(out) && (!Files.isDirectory(out) || Files.list(out).findAny().isPresent())) {
            throw new Main.UserError(out + ": exists and is not an empty directory");
        }
        DType dt = switch (dtype.toLowerCase(Locale.ROOT)) {
            case "f32", "float32" -> DType.F32;
            case "bf16", "bfloat16" -> DType.BF16;
            case "f16", "float16" -> DType.F16;
            default -> throw new IllegalArgumentException("invalid --dtype '" + dtype + "' (f32, bf16, f16)");
        };
        SyntheticCheckpoint s = SyntheticCheckpoint.of(type).layers(layers).hidden(hidden).heads(heads, kvHeads, headDim)
                .experts(experts, topk, intermediate).shared(shared).vocab(vocab).fullAttentionInterval(interval)
                .dtype(dt).seed(seed);
        if (perExpert) {
            s.fusedExperts(false);
        }
        if (shardMb != null) {
            s.maxShardBytes(shardMb * 1_000_000L);
        }
        long bytes = s.write(out);
        System.out.printf("wrote %s checkpoint (%.1f MB of tensors) to %s%n", type, bytes / 1e6, out);
        return 0;
    }
}
