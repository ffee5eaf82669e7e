package dev.moefrontier.benchmarks;

import dev.moefrontier.harness.eval.EvalContext;
import dev.moefrontier.harness.eval.LoglikelihoodEngine;
import dev.moefrontier.harness.io.DType;
import dev.moefrontier.harness.model.MoeTransformer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
 * Loglikelihood scoring of 64 MMLU-shaped requests (16 questions of 160 context tokens, 4 one-token choices each,
 * so inputs are shared) at two batch sizes, without the response cache.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Fork(1)
public class LoglikelihoodBenchmark {
    @Param({"1024", "8192"})
    public int batchTokens;

    private Path dir;
    private MoeTransformer model;
    private EvalContext ctx;
    private List<LoglikelihoodEngine.Query> queries;

    @Setup(Level.Trial)
    public void setUp() {
        dir = Checkpoints.olmoe(4, 512, 64, 256, DType.F32);
        model = MoeTransformer.open(dir);
        ctx = EvalContext.builder().setModel(model).optBatchTokens(batchTokens).build();
        Random r = new Random(11);
        queries = new ArrayList<>();
        for (int q = 0; q < 16; q++) {
            int[] context = new int[160];
            for (int i = 0; i < context.length; i++) {
                context[i] = r.nextInt(1024);
            }
            for (int c = 0; c < 4; c++) {
                queries.add(new LoglikelihoodEngine.Query(context, new int[] {r.nextInt(1024)}));
            }
        }
    }

    @Benchmark
    public List<LoglikelihoodEngine.Answer> score() {
        return ctx.engine().loglikelihood(queries, "bench");
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        ctx.close();
        model.close();
        Checkpoints.delete(dir);
    }
}
