package dev.moefrontier.harness.compress;

import dev.moefrontier.harness.spi.Compressor;
import dev.moefrontier.harness.spi.CompressorFactory;
import dev.moefrontier.harness.spi.Registry;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;

/** Every compressor on the classpath: registered ones by name, plus composite names built by factories. */
public final class CompressorCatalog {
    private final Registry<Compressor> registry;
    private final List<CompressorFactory> factories;

    private CompressorCatalog(Registry<Compressor> registry, List<CompressorFactory> factories) {
        this.registry = registry;
        this.factories = factories;
    }

    /** Discovers compressors and factories with {@link ServiceLoader}. */
    public static CompressorCatalog load() {
        ClassLoader cl = Thread.currentThread().getContextClassLoader();
        List<CompressorFactory> f = new ArrayList<>();
        ServiceLoader.load(CompressorFactory.class, cl).forEach(f::add);
        return new CompressorCatalog(Registry.load(Compressor.class, "compressor", cl), List.copyOf(f));
    }

    /** The catalog of the context class loader, loaded once (for looking up what a compressor named in results is). */
    public static CompressorCatalog shared() {
        return Shared.CATALOG;
    }

    private static final class Shared {
        static final CompressorCatalog CATALOG = load();
    }

    public Registry<Compressor> registry() {
        return registry;
    }

    /** Name patterns the factories accept. */
    public List<String> patterns() {
        List<String> p = new ArrayList<>();
        factories.forEach(f -> p.addAll(f.patterns()));
        return p;
    }

    public Optional<Compressor> find(String name) {
        Optional<Compressor> c = registry.find(name);
        if (c.isPresent()) {
            return c;
        }
        for (CompressorFactory f : factories) {
            Optional<Compressor> made = f.create(name, this);
            if (made.isPresent()) {
                return made;
            }
        }
        return Optional.empty();
    }

    /** The compressor called {@code name}; an unknown name is an error listing the known ones. */
    public Compressor get(String name) {
        return find(name).orElseThrow(() -> new IllegalArgumentException("unknown compressor '" + name + "' (known: "
                + String.join(", ", registry.names()) + (patterns().isEmpty() ? "" : "; and " + String.join(", ", patterns())) + ")"));
    }
}
