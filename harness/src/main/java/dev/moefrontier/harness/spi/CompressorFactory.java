package dev.moefrontier.harness.spi;

import dev.moefrontier.harness.compress.CompressorCatalog;
import java.util.List;
import java.util.Optional;

/**
 * Builds compressors whose names are composed from others, such as {@code reap+wanda}. Register implementations in
 * {@code META-INF/services/dev.moefrontier.harness.spi.CompressorFactory}.
 */
public interface CompressorFactory {
    /** The compressor called {@code name}, if this factory understands the name. */
    Optional<Compressor> create(String name, CompressorCatalog catalog);

    /** Name patterns for listings, each with what it accepts, e.g. "X+wanda (...); options r1, ...". */
    List<String> patterns();
}
