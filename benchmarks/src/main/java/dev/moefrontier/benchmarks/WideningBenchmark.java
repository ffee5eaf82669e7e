package dev.moefrontier.benchmarks;

import dev.moefrontier.harness.io.DType;
import dev.moefrontier.harness.io.Widening;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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
import org.openjdk.jmh.annotations.Warmup;

/** Widening 16 Mi stored elements (one staging chunk of the tensor loader) to float32, per stored type. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3)
@Measurement(iterations = 5)
@Fork(1)
public class WideningBenchmark {
    static final int COUNT = 1 << 24;

    @Param({"BF16", "F16", "F32"})
    public String dtype;

    private DType type;
    private ByteBuffer src;
    private ByteBuffer dst;

    @Setup(Level.Trial)
    public void setUp() {
        type = DType.valueOf(dtype);
        src = ByteBuffer.allocateDirect(COUNT * type.size()).order(ByteOrder.LITTLE_ENDIAN);
        Random r = new Random(5);
        while (src.remaining() >= 8) {
            src.putLong(r.nextLong() & 0x3F3F3F3F3F3F3F3FL); // finite values of every width
        }
        src.clear();
        dst = ByteBuffer.allocateDirect(COUNT * 4).order(ByteOrder.nativeOrder());
    }

    @Benchmark
    public ByteBuffer widen() {
        src.clear();
        dst.clear();
        Widening.toFloat32(src, type, COUNT, dst);
        return dst;
    }
}
