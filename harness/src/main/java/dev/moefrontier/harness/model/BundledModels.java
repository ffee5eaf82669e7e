package dev.moefrontier.harness.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * Small checkpoints shipped inside the harness jar (resources under {@code dev/moefrontier/models/NAME/}), usable as
 * ordinary checkpoint directories: from a classes directory they are used in place; from a jar they are copied once
 * into a temporary directory.
 */
public final class BundledModels {
    /** A 2-layer random OLMoE (8 experts, top-2) with its golden forward ({@code expected.safetensors}). */
    public static final String TINY_OLMOE = "tiny-olmoe";

    private static final List<String> FILES = List.of("config.json", "model.safetensors", "inputs.json", "expected.safetensors");

    private BundledModels() {}

    /** The directory of a bundled model. */
    public static Path path(String name) {
        String base = "/dev/moefrontier/models/" + name + "/";
        URL url = BundledModels.class.getResource(base + "config.json");
        if (url == null) {
            throw new IllegalArgumentException("no bundled model '" + name + "'");
        }
        if (url.getProtocol().equals("file")) {
            try {
                return Path.of(url.toURI()).getParent();
            } catch (URISyntaxException e) {
                throw new IllegalStateException(e);
            }
        }
        try {
            Path dir = Files.createTempDirectory("frontier-" + name);
            dir.toFile().deleteOnExit();
            for (String f : FILES) {
                try (InputStream in = BundledModels.class.getResourceAsStream(base + f)) {
                    if (in != null) {
                        Path target = dir.resolve(f);
                        Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
                        target.toFile().deleteOnExit();
                    }
                }
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot extract bundled model " + name, e);
        }
    }
}
