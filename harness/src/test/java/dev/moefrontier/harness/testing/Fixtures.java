package dev.moefrontier.harness.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Locates golden fixtures copied into test resources. They are shared with other modules through the harness test-jar;
 * when read from inside that jar they are extracted once into a temporary directory.
 */
public final class Fixtures {
    private static final List<String> CONFORMANCE_FILES = List.of("config.json", "model.safetensors", "inputs.json", "expected.safetensors");
    private static final Map<String, Path> EXTRACTED = new ConcurrentHashMap<>();

    private Fixtures() {}

    /** A conformance model folder, e.g. {@code olmoe-a}. */
    public static Path conformance(String name) {
        return directory("/conformance/" + name, CONFORMANCE_FILES);
    }

    /** A resource directory holding {@code files}, as a file-system path. */
    public static Path directory(String dir, List<String> files) {
        URL url = Fixtures.class.getResource(dir + "/" + files.get(0));
        if (url == null) {
            throw new IllegalStateException("test resource " + dir + " is missing");
        }
        if (url.getProtocol().equals("file")) {
            return toPath(url).getParent();
        }
        return EXTRACTED.computeIfAbsent(dir, d -> {
            try {
                Path out = Files.createTempDirectory("fixture");
                for (String f : files) {
                    try (InputStream in = Fixtures.class.getResourceAsStream(d + "/" + f)) {
                        if (in != null) {
                            Files.copy(in, out.resolve(f));
                        }
                    }
                }
                return out;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /** Any test resource of this module as a path. */
    public static Path resource(String name) {
        URL url = Fixtures.class.getResource(name);
        if (url == null) {
            throw new IllegalStateException("test resource " + name + " is missing");
        }
        return toPath(url);
    }

    private static Path toPath(URL url) {
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
