package dev.moefrontier.harness.sweep;

import dev.moefrontier.harness.io.CheckpointException;
import dev.moefrontier.harness.model.BundledModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * A sweep: every backbone × compressor × ratio, each scored on every task (plus each backbone dense). Read from YAML
 * (or JSON, which is YAML); see {@code scripts/sweeps/demo.yaml} for a commented example. Parsing checks the shape and
 * types; {@link SweepValidator} checks names, options, ratios and files before any work starts.
 *
 * @param name run name
 * @param file the spec file (relative paths in it are resolved against its folder)
 * @param seed seed for seeded compressors
 * @param backbones the models
 * @param calibration calibration data for every backbone
 * @param compressors compressors with their options
 * @param ratios reduction ratios
 * @param hybridR1 for X+wanda compressors without their own r1: stage-1 expert ratio as a fraction of the ratio
 * @param tasks tasks with data, options and limits
 * @param batchTokens padded tokens per evaluation batch
 * @param dense whether each backbone is also scored uncompressed (compression 0)
 * @param stabilityResamples plan stability: each compressed cell's plan is recomputed on this many fresh draws of the
 *     calibration windows (0 = off; {@code stability: {resamples: N}})
 */
public record SweepSpec(String name, Path file, long seed, List<Backbone> backbones, Calibration calibration,
        List<CompressorEntry> compressors, List<Double> ratios, Double hybridR1, List<TaskEntry> tasks, int batchTokens,
        boolean dense, int stabilityResamples) {

    /** A spec without plan stability. */
    public SweepSpec(String name, Path file, long seed, List<Backbone> backbones, Calibration calibration,
            List<CompressorEntry> compressors, List<Double> ratios, Double hybridR1, List<TaskEntry> tasks, int batchTokens,
            boolean dense) {
        this(name, file, seed, backbones, calibration, compressors, ratios, hybridR1, tasks, batchTokens, dense, 0);
    }

    /**
     * A model: a bundled mini ({@code path} null) or a local checkpoint directory.
     *
     * @param name row label
     * @param path checkpoint directory, or null for a bundled mini of that name
     */
    public record Backbone(String name, Path path) {
        /** The checkpoint directory (a bundled mini is extracted when needed). */
        public Path directory() {
            return path != null ? path : BundledModels.path(name);
        }
    }

    /**
     * Calibration windows drawn from a corpus.
     *
     * @param source a file, or null for the minis' bundled calibration split
     * @param count windows
     * @param length tokens per window
     * @param seed sampling seed
     */
    public record Calibration(Path source, int count, int length, long seed) {
        public Path file() {
            return source != null ? source : BundledModels.path(BundledModels.MINI_DATA).resolve("calibration.jsonl");
        }

        public String describe() {
            return (source == null ? "mini-data/calibration.jsonl" : source.getFileName().toString()) + ":" + count + "x" + length
                    + ":seed" + seed;
        }
    }

    /** A compressor and its options (strings, parsed by the compressor's option specs). */
    public record CompressorEntry(String name, Map<String, String> options) {}

    /**
     * A task.
     *
     * @param name registered task name
     * @param data data file or directory, or null for the minis' bundled data
     * @param options task options
     * @param limit documents (windows) per task, or null for all
     */
    public record TaskEntry(String name, Path data, Map<String, String> options, Integer limit) {
        public Path dataPath() {
            return data != null ? data : BundledModels.path(BundledModels.MINI_DATA);
        }
    }

    /**
     * The spec in its own schema (the YAML keys), with absolute paths: what {@code plan.json} and {@code manifest.json}
     * embed. {@link #fromJson} reads it back through the same parser as the YAML, so the format has one binding.
     */
    public com.google.gson.JsonObject toJson() {
        com.google.gson.JsonObject o = new com.google.gson.JsonObject();
        o.addProperty("name", name);
        o.addProperty("seed", seed);
        com.google.gson.JsonArray bb = new com.google.gson.JsonArray();
        for (Backbone b : backbones) {
            com.google.gson.JsonObject bo = new com.google.gson.JsonObject();
            bo.addProperty("name", b.name());
            if (b.path() != null) {
                bo.addProperty("path", b.path().toAbsolutePath().toString());
            }
            bb.add(bo);
        }
        o.add("backbones", bb);
        com.google.gson.JsonObject cal = new com.google.gson.JsonObject();
        cal.addProperty("source", calibration.source() == null ? "mini" : calibration.source().toAbsolutePath().toString());
        cal.addProperty("count", calibration.count());
        cal.addProperty("length", calibration.length());
        cal.addProperty("seed", calibration.seed());
        o.add("calibration", cal);
        com.google.gson.JsonArray comps = new com.google.gson.JsonArray();
        for (CompressorEntry c : compressors) {
            com.google.gson.JsonObject co = new com.google.gson.JsonObject();
            co.addProperty("name", c.name());
            co.add("options", stringMap(c.options()));
            comps.add(co);
        }
        o.add("compressors", comps);
        com.google.gson.JsonArray rs = new com.google.gson.JsonArray();
        ratios.forEach(rs::add);
        o.add("ratios", rs);
        if (hybridR1 != null) {
            com.google.gson.JsonObject h = new com.google.gson.JsonObject();
            h.addProperty("r1_fraction", hybridR1);
            o.add("hybrid", h);
        }
        com.google.gson.JsonArray ts = new com.google.gson.JsonArray();
        for (TaskEntry t : tasks) {
            com.google.gson.JsonObject to = new com.google.gson.JsonObject();
            to.addProperty("name", t.name());
            to.addProperty("data", t.data() == null ? "mini" : t.data().toAbsolutePath().toString());
            to.add("options", stringMap(t.options()));
            if (t.limit() != null) {
                to.addProperty("limit", t.limit());
            }
            ts.add(to);
        }
        o.add("tasks", ts);
        com.google.gson.JsonObject ev = new com.google.gson.JsonObject();
        ev.addProperty("batch_tokens", batchTokens);
        o.add("evaluation", ev);
        o.addProperty("dense", dense);
        if (stabilityResamples > 0) {
            com.google.gson.JsonObject st = new com.google.gson.JsonObject();
            st.addProperty("resamples", stabilityResamples);
            o.add("stability", st);
        }
        return o;
    }

    /** Reads {@link #toJson()} back (JSON is YAML: the same parser and checks); {@code file} is the original spec file. */
    public static SweepSpec fromJson(com.google.gson.JsonObject spec, Path file) {
        Object root;
        try {
            root = new Yaml(new SafeConstructor(new LoaderOptions())).load(spec.toString());
        } catch (YAMLException e) {
            throw CheckpointException.of(file, "not a spec: " + String.valueOf(e.getMessage()).replace('\n', ' '));
        }
        return new Parser(file).spec(root);
    }

    private static com.google.gson.JsonObject stringMap(Map<String, String> m) {
        com.google.gson.JsonObject o = new com.google.gson.JsonObject();
        m.forEach(o::addProperty);
        return o;
    }

    /** Reads and shape-checks a spec; errors name the file and the key. */
    public static SweepSpec load(Path file) {
        Object root;
        try {
            root = new Yaml(new SafeConstructor(new LoaderOptions())).load(Files.readString(file));
        } catch (java.nio.file.NoSuchFileException e) {
            throw CheckpointException.of(file, "no such file");
        } catch (IOException e) {
            throw CheckpointException.of(file, "cannot read: " + e.getMessage());
        } catch (YAMLException e) {
            throw CheckpointException.of(file, "not valid YAML: " + String.valueOf(e.getMessage()).replace('\n', ' '));
        }
        return new Parser(file).spec(root);
    }

    /** Turns the YAML tree into a spec with errors that name the key. */
    private static final class Parser {
        private final Path file;
        private final Path base;

        Parser(Path file) {
            this.file = file;
            this.base = file.toAbsolutePath().getParent();
        }

        CheckpointException error(String key, String problem) {
            return CheckpointException.of(file, key + ": " + problem);
        }

        SweepSpec spec(Object root) {
            Map<String, Object> m = map(root, "spec");
            known(m, "spec", "name", "seed", "backbones", "calibration", "compressors", "ratios", "hybrid", "tasks", "evaluation", "dense",
                    "stability");
            String name = string(m, "name", "spec", null);
            if (name == null || !name.matches("[A-Za-z0-9._-]+")) {
                throw error("name", "required, letters, digits, '.', '_' and '-' only");
            }
            long seed = integer(m.get("seed"), "seed", 0);
            List<Backbone> backbones = new ArrayList<>();
            for (Object o : list(m.get("backbones"), "backbones", true)) {
                backbones.add(backbone(o));
            }
            Calibration cal = calibration(m.get("calibration"));
            List<CompressorEntry> compressors = new ArrayList<>();
            for (Object o : list(m.get("compressors"), "compressors", true)) {
                compressors.addAll(compressor(o));
            }
            List<Double> ratios = new ArrayList<>();
            for (Object o : list(m.get("ratios"), "ratios", !compressors.isEmpty())) {
                ratios.add(number(o, "ratios"));
            }
            Double hybridR1 = null;
            if (m.get("hybrid") != null) {
                Map<String, Object> h = map(m.get("hybrid"), "hybrid");
                known(h, "hybrid", "r1_fraction");
                hybridR1 = number(h.get("r1_fraction"), "hybrid.r1_fraction");
                if (!(hybridR1 > 0 && hybridR1 <= 1)) {
                    throw error("hybrid.r1_fraction", "must be in (0, 1], got " + hybridR1);
                }
            }
            List<TaskEntry> tasks = new ArrayList<>();
            for (Object o : list(m.get("tasks"), "tasks", true)) {
                tasks.add(task(o));
            }
            int batchTokens = 4096;
            if (m.get("evaluation") != null) {
                Map<String, Object> e = map(m.get("evaluation"), "evaluation");
                known(e, "evaluation", "batch_tokens");
                batchTokens = (int) integer(e.get("batch_tokens"), "evaluation.batch_tokens", 4096);
                if (batchTokens < 1) {
                    throw error("evaluation.batch_tokens", "must be positive");
                }
            }
            boolean dense = m.get("dense") == null || bool(m.get("dense"), "dense");
            int resamples = 0;
            if (m.get("stability") != null) {
                Map<String, Object> st = map(m.get("stability"), "stability");
                known(st, "stability", "resamples");
                resamples = (int) integer(st.get("resamples"), "stability.resamples", 0);
                if (resamples < 1) {
                    throw error("stability.resamples", "must be at least 1 (leave 'stability' out to skip it)");
                }
            }
            return new SweepSpec(name, file, seed, List.copyOf(backbones), cal, List.copyOf(compressors), List.copyOf(ratios), hybridR1,
                    List.copyOf(tasks), batchTokens, dense, resamples);
        }

        Backbone backbone(Object o) {
            if (o instanceof String s) {
                if (!BundledModels.backbones().contains(s)) {
                    throw error("backbones", "'" + s + "' is not a bundled mini (" + String.join(", ", BundledModels.backbones())
                            + "); give {name: ..., path: ...} for a checkpoint");
                }
                return new Backbone(s, null);
            }
            Map<String, Object> m = map(o, "backbones[]");
            known(m, "backbones[]", "name", "path");
            String name = string(m, "name", "backbones[]", null);
            String path = string(m, "path", "backbones[]", null);
            if (name == null || !name.matches("[A-Za-z0-9._-]+")) {
                throw error("backbones[].name", "required, letters, digits, '.', '_' and '-' only");
            }
            if (path == null && !BundledModels.backbones().contains(name)) {
                throw error("backbones[" + name + "]", "needs a path (or the name of a bundled mini)");
            }
            return new Backbone(name, path == null ? null : resolve(path));
        }

        Calibration calibration(Object o) {
            if (o == null) {
                return new Calibration(null, 64, 128, 0);
            }
            Map<String, Object> m = map(o, "calibration");
            known(m, "calibration", "source", "count", "length", "seed");
            String src = string(m, "source", "calibration", "mini");
            int count = (int) integer(m.get("count"), "calibration.count", 64);
            int length = (int) integer(m.get("length"), "calibration.length", 128);
            if (count < 1 || length < 2) {
                throw error("calibration", "count must be >= 1 and length >= 2");
            }
            return new Calibration(src.equals("mini") ? null : resolve(src), count, length, integer(m.get("seed"), "calibration.seed", 0));
        }

        /**
         * A compressor entry; an option given as a list of values is a grid: one entry per combination, the first
         * option varying slowest ({@code options: {a: [1, 2], b: [x, y]}} gives a=1,b=x; a=1,b=y; a=2,b=x; a=2,b=y).
         */
        List<CompressorEntry> compressor(Object o) {
            if (o instanceof String s) {
                return List.of(new CompressorEntry(s, Map.of()));
            }
            Map<String, Object> m = map(o, "compressors[]");
            known(m, "compressors[]", "name", "options");
            String name = string(m, "name", "compressors[]", null);
            if (name == null) {
                throw error("compressors[]", "needs a name");
            }
            String key = "compressors[" + name + "].options";
            List<Map<String, String>> grid = new ArrayList<>(List.of(new LinkedHashMap<>()));
            if (m.get("options") != null) {
                for (Map.Entry<String, Object> e : map(m.get("options"), key).entrySet()) {
                    List<String> values = new ArrayList<>();
                    if (e.getValue() instanceof List<?> l) {
                        if (l.isEmpty()) {
                            throw error(key + "." + e.getKey(), "lists no value (a grid needs at least one)");
                        }
                        for (Object v : l) {
                            values.add(scalar(v, key + "." + e.getKey()));
                        }
                        if (new java.util.HashSet<>(values).size() != values.size()) {
                            throw error(key + "." + e.getKey(), "lists a value twice");
                        }
                    } else {
                        values.add(scalar(e.getValue(), key + "." + e.getKey()));
                    }
                    List<Map<String, String>> next = new ArrayList<>();
                    for (Map<String, String> g : grid) {
                        for (String v : values) {
                            Map<String, String> c = new LinkedHashMap<>(g);
                            c.put(e.getKey(), v);
                            next.add(c);
                        }
                    }
                    grid = next;
                }
            }
            return grid.stream().map(g -> new CompressorEntry(name, g)).toList();
        }

        private String scalar(Object v, String key) {
            if (v == null || v instanceof Map || v instanceof List) {
                throw error(key, "must be a single value or a list of single values");
            }
            return String.valueOf(v);
        }

        TaskEntry task(Object o) {
            if (o instanceof String s) {
                return new TaskEntry(s, null, Map.of(), null);
            }
            Map<String, Object> m = map(o, "tasks[]");
            known(m, "tasks[]", "name", "data", "options", "limit");
            String name = string(m, "name", "tasks[]", null);
            if (name == null) {
                throw error("tasks[]", "needs a name");
            }
            Integer limit = m.get("limit") == null ? null : (int) integer(m.get("limit"), "tasks[" + name + "].limit", 0);
            if (limit != null && limit < 1) {
                throw error("tasks[" + name + "].limit", "must be positive");
            }
            String data = string(m, "data", "tasks[" + name + "]", null);
            return new TaskEntry(name, data == null || data.equals("mini") ? null : resolve(data),
                    options(m.get("options"), "tasks[" + name + "].options"), limit);
        }

        Path resolve(String p) {
            Path path = Path.of(p.startsWith("~/") ? System.getProperty("user.home") + p.substring(1) : p);
            return path.isAbsolute() ? path : base.resolve(path).normalize();
        }

        Map<String, String> options(Object o, String key) {
            if (o == null) {
                return Map.of();
            }
            Map<String, String> out = new LinkedHashMap<>();
            map(o, key).forEach((k, v) -> {
                if (v instanceof Map || v instanceof List) {
                    throw error(key + "." + k, "must be a single value");
                }
                out.put(k, String.valueOf(v));
            });
            return out;
        }

        @SuppressWarnings("unchecked")
        Map<String, Object> map(Object o, String key) {
            if (!(o instanceof Map)) {
                throw error(key, "must be a mapping, got " + describe(o));
            }
            return (Map<String, Object>) o;
        }

        List<?> list(Object o, String key, boolean required) {
            if (o == null) {
                if (required) {
                    throw error(key, "required (a list)");
                }
                return List.of();
            }
            if (!(o instanceof List<?> l)) {
                throw error(key, "must be a list, got " + describe(o));
            }
            if (required && l.isEmpty()) {
                throw error(key, "must not be empty");
            }
            return l;
        }

        String string(Map<String, Object> m, String k, String where, String dflt) {
            Object v = m.get(k);
            if (v == null) {
                return dflt;
            }
            if (v instanceof Map || v instanceof List) {
                throw error(where + "." + k, "must be a single value");
            }
            return String.valueOf(v);
        }

        long integer(Object v, String key, long dflt) {
            if (v == null) {
                return dflt;
            }
            if (v instanceof Integer || v instanceof Long) {
                return ((Number) v).longValue();
            }
            throw error(key, "must be an integer, got " + describe(v));
        }

        double number(Object v, String key) {
            if (v instanceof Number n) {
                return n.doubleValue();
            }
            throw error(key, "must be a number, got " + describe(v));
        }

        boolean bool(Object v, String key) {
            if (v instanceof Boolean b) {
                return b;
            }
            throw error(key, "must be true or false, got " + describe(v));
        }

        void known(Map<String, Object> m, String where, String... keys) {
            List<String> ok = List.of(keys);
            for (String k : m.keySet()) {
                if (!ok.contains(k)) {
                    throw error(where.equals("spec") ? k : where + "." + k, "unknown key (known: " + String.join(", ", ok) + ")");
                }
            }
        }

        static String describe(Object o) {
            if (o == null) {
                return "nothing";
            }
            if (o instanceof Map) {
                return "a mapping";
            }
            if (o instanceof List) {
                return "a list";
            }
            return o.getClass().getSimpleName().toLowerCase(Locale.ROOT) + " '" + o + "'";
        }
    }
}
