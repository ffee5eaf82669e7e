package dev.moefrontier.benchmarks;

import dev.moefrontier.harness.compress.CompressionContext;
import dev.moefrontier.harness.compress.CompressorCatalog;
import dev.moefrontier.harness.spi.ExpertScorer;
import dev.moefrontier.harness.compress.Options;
import dev.moefrontier.harness.io.DType;
import dev.moefrontier.harness.model.ModelWeights;
import dev.moefrontier.harness.model.MoeTransformer;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/** AIMER scoring (methods.md §3) of a 16-layer, 64-expert OLMoE-shaped BF16 checkpoint, read from its memory maps. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Fork(1)
public class AimerBenchmark {
    private Path dir;
    private MoeTransformer model;
    private CompressionContext ctx;
    private ExpertScorer aimer;

    @Setup(Level.Trial)
    public void setUp() {
        dir = Checkpoints.olmoe(16, 512, 64, 256, DType.BF16);
        model = MoeTransformer.builder().setPath(dir).optResidency(ModelWeights.Residency.STREAM).build();
        ctx = CompressionContext.builder().setModel(model).build();
        aimer = (ExpertScorer) CompressorCatalog.load().get("aimer");
    }

    @Benchmark
    public Map<Integer, double[]> scoreAllLayers() {
        return aimer.scores(ctx, Options.none());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        model.close();
        Checkpoints.delete(dir);
    }
}
