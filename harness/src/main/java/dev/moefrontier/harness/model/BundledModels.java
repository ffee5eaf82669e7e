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
 * Small checkpoints and data folders shipped inside jars on the classpath (resources under
 * {@code dev/moefrontier/models/NAME/}), usable as ordinary checkpoint directories: from a classes directory they are
 * used in place; from a jar they are copied once into a temporary directory. A module that ships backbones a sweep
 * may name lists them in {@code META-INF/moe-frontier/bundled-backbones}, one per line (the {@code minis} module ships
 * the embedded minis and their data this way).
 */
public final class BundledModels {
    /** A 2-layer random OLMoE (8 experts, top-2) with its golden forward ({@code expected.safetensors}). */
    public static final String TINY_OLMOE = "tiny-olmoe";

    /** The default data folder (calibration corpus and the mini task suite), shipped by the {@code minis} module. */
    public static final String MINI_DATA = "mini-data";

    private static final String BACKBONE_LISTS = "META-INF/moe-frontier/bundled-backbones";

    private static final List<String> FILES = List.of("config.json", "model.safetensors", "model.safetensors.index.json", "inputs.json",
            "expected.safetensors", "tokenizer.json", "manifest.json", "calibration.jsonl", "mini_ppl.jsonl", "mini_mc.jsonl");

    private BundledModels() {}

    /** The bundled backbones of every module on the classpath, in classpath order. */
    public static List<String> backbones() {
        java.util.Set<String> names = new java.util.LinkedHashSet<>();
        try {
            java.util.Enumeration<URL> lists = BundledModels.class.getClassLoader().getResources(BACKBONE_LISTS);
            while (lists.hasMoreElements()) {
                try (InputStream in = lists.nextElement().openStream()) {
                    for (String line : new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).split("\n")) {
                        String n = line.strip();
                        if (!n.isEmpty() && !n.startsWith("#")) {
                            names.add(n);
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list bundled backbones", e);
        }
        return List.copyOf(names);
    }

    /** Whether a bundled model (or data folder) of that name exists. */
    public static boolean exists(String name) {
        return BundledModels.class.getResource("/dev/moefrontier/models/" + name + "/" + (name.equals(MINI_DATA) ? "mini_mc.jsonl" : "config.json")) != null;
    }

    /** Copies a resource (when present) to a file deleted on exit. */
    private static void copy(String resource, Path target) throws IOException {
        try (InputStream in = BundledModels.class.getResourceAsStream(resource)) {
            if (in != null) {
                Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
                target.toFile().deleteOnExit();
            }
        }
    }

    /** The directory of a bundled model (or of the minis' data). */
    public static Path path(String name) {
        String base = "/dev/moefrontier/models/" + name + "/";
        URL url = BundledModels.class.getResource(base + (name.equals(MINI_DATA) ? "mini_mc.jsonl" : "config.json"));
        if (url == null) {
            throw new IllegalArgumentException("no bundled " + (name.equals(MINI_DATA) ? "data folder" : "model") + " '" + name
                    + "' on the classpath" + (name.equals(TINY_OLMOE) ? "" : " (it ships in the minis module)"));
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
                copy(base + f, dir.resolve(f));
            }
            Path index = dir.resolve("model.safetensors.index.json");
            if (Files.exists(index)) { // a sharded checkpoint: its shards are named by the index
                java.util.Set<String> shards = new java.util.TreeSet<>();
                com.google.gson.JsonParser.parseString(Files.readString(index)).getAsJsonObject().getAsJsonObject("weight_map").entrySet()
                        .forEach(e -> shards.add(e.getValue().getAsString()));
                for (String f : shards) {
                    copy(base + f, dir.resolve(f));
                }
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot extract bundled model " + name, e);
        }
    }
}
