package dev.moefrontier.compressors;

import dev.moefrontier.harness.spi.Compressor;
import dev.moefrontier.harness.compress.CompressorCatalog;
import dev.moefrontier.harness.spi.CompressorFactory;
import java.util.List;
import java.util.Optional;

/** Builds {@code X+wanda} for any registered expert compressor X (methods.md §4.11). */
public final class HybridFactory implements CompressorFactory {
    private static final String SUFFIX = "+wanda";

    @Override
    public Optional<Compressor> create(String name, CompressorCatalog catalog) {
        if (!name.endsWith(SUFFIX) || name.length() == SUFFIX.length()) {
            return Optional.empty();
        }
        String base = name.substring(0, name.length() - SUFFIX.length());
        if (base.equals("wanda") || base.endsWith(SUFFIX)) {
            return Optional.empty();
        }
        return catalog.registry().find(base).map(HybridCompressor::new);
    }

    @Override
    public List<String> patterns() {
        return List.of("X+wanda (any expert compressor X, e.g. reap+wanda); options r1 (stage-1 expert ratio), wanda.sequential,"
                + " wanda.empty");
    }
}
