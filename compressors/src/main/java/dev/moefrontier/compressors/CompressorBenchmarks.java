package dev.moefrontier.compressors;

import dev.moefrontier.harness.spi.CliExtension;
import java.util.List;

/** The compressors' own {@code frontier bench} entries. */
public final class CompressorBenchmarks implements CliExtension {
    @Override
    public String name() {
        return "compressor-benchmarks";
    }

    @Override
    public String description() {
        return "bench aimer, bench ream, bench scale";
    }

    @Override
    public List<Object> commands() {
        return List.of();
    }

    @Override
    public List<Object> benchmarks() {
        return List.of(new BenchAimer(), new dev.moefrontier.compressors.ream.BenchReam(), new dev.moefrontier.compressors.scale.BenchScale());
    }
}
