package dev.moefrontier.benchmarks;

import ai.djl.ndarray.NDManager;
import dev.moefrontier.harness.io.DType;
import dev.moefrontier.harness.model.ForwardObserver;
import dev.moefrontier.harness.model.ModelPatch;
import dev.moefrontier.harness.model.MoeTransformer;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The MoE block's two dispatch strategies on one forward of 512 tokens through a 4-layer, 64-expert OLMoE-shaped model:
 * per-expert grouped matmuls against one padded batched matmul for all experts ({@code frontier.moe.dispatch}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Fork(1)
public class DispatchBenchmark {
    @Param({"grouped", "padded"})
    public String dispatch;

    private Path dir;
    private MoeTransformer model;
    private int[] tokens;

    @Setup(Level.Trial)
    public void setUp() {
        System.setProperty("frontier.moe.dispatch", dispatch); // read when the model's graph is built
        dir = Checkpoints.olmoe(4, 512, 64, 256, DType.F32);
        model = MoeTransformer.open(dir);
        Random r = new Random(3);
        tokens = new int[512];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = r.nextInt(1024);
        }
    }

    @Benchmark
    public float forward() {
        try (NDManager m = model.manager().newSubManager()) {
            return model.logits(tokens, ModelPatch.NONE, ForwardObserver.NONE, m).getFloat(0, 0);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        model.close();
        Checkpoints.delete(dir);
    }
}
