package dev.moefrontier.benchmarks;

import dev.moefrontier.compressors.hodge.HodgeBenchmarks;
import dev.moefrontier.compressors.hodge.HodgeCover;
import dev.moefrontier.compressors.hodge.HodgeInput;
import dev.moefrontier.compressors.hodge.HodgeParams;
import dev.moefrontier.compressors.hodge.HodgeResult;
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
import org.openjdk.jmh.annotations.Warmup;

/** HodgeCover's per-layer selection (methods.md §4.5-4.8) on structured synthetic barriers, 500 candidate triangles. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3)
@Measurement(iterations = 5)
@Fork(1)
public class HodgeSelectionBenchmark {
    @Param({"64", "256"})
    public int experts;

    private HodgeInput input;

    @Setup(Level.Trial)
    public void setUp() {
        input = HodgeBenchmarks.synthetic(experts, 500, 7);
    }

    @Benchmark
    public HodgeResult selectOneLayer() {
        return HodgeCover.run(input, HodgeParams.defaults());
    }
}
