package dev.moefrontier.harness.testing;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;

/** Locates golden fixtures copied into test resources (shared with other modules through the test-jar). */
public final class Fixtures {
    private Fixtures() {}

    /** A conformance model folder, e.g. {@code olmoe-a}. */
    public static Path conformance(String name) {
        return resource("/conformance/" + name + "/config.json").getParent();
    }

    /** Any test resource as a path. */
    public static Path resource(String name) {
        URL url = Fixtures.class.getResource(name);
        if (url == null) {
            throw new IllegalStateException("test resource " + name + " is missing");
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
