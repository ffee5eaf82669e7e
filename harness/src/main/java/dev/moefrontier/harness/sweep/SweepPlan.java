package dev.moefrontier.harness.sweep;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.moefrontier.harness.spi.Compressor;
import dev.moefrontier.harness.compress.CompressorCatalog;
import dev.moefrontier.harness.io.CheckpointException;
import dev.moefrontier.harness.util.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A spec expanded into cell groups, one per backbone (each loads its model and calibrates once). Written to a plan
 * folder as {@code plan.json} (the resolved spec, absolute paths) and {@code cells.jsonl} (one group per line), so a
 * scheduler's workers need nothing but the folder.
 */
public record SweepPlan(SweepSpec spec, List<CellGroup> groups) {

    /** Expands a spec: per backbone, the dense cell (when asked for) then every compressor at every ratio. */
    public static SweepPlan expand(SweepSpec spec) {
        List<CellGroup> groups = new ArrayList<>();
        for (SweepSpec.Backbone b : spec.backbones()) {
            List<Cell> cells = new ArrayList<>();
            if (spec.dense()) {
                cells.add(Cell.dense(b.name()));
            }
            for (SweepSpec.CompressorEntry c : spec.compressors()) {
                for (double r : spec.ratios()) {
                    Map<String, String> opts = new LinkedHashMap<>(c.options());
                    if (spec.hybridR1() != null && isHybrid(c.name()) && !opts.containsKey("r1")) {
                        opts.put("r1", String.format(Locale.ROOT, "%.4f", spec.hybridR1() * r));
                    }
                    cells.add(new Cell(b.name(), c.name(), opts, r));
                }
            }
            groups.add(new CellGroup(groups.size(), b, List.copyOf(cells)));
        }
        return new SweepPlan(spec, List.copyOf(groups));
    }

    private static boolean isHybrid(String compressor) {
        return CompressorCatalog.shared().find(compressor).map(c -> c.level() == Compressor.Level.HYBRID).orElse(false);
    }

    public int cellCount() {
        return groups.stream().mapToInt(g -> g.cells().size()).sum();
    }

    /** Writes {@code plan.json} and {@code cells.jsonl} into {@code dir}. */
    public void write(Path dir) throws IOException {
        Files.createDirectories(dir);
        AtomicFiles.writeString(dir.resolve("plan.json"), new GsonBuilder().setPrettyPrinting().create().toJson(specJson(spec)) + "\n");
        Gson g = new Gson();
        StringBuilder sb = new StringBuilder();
        for (CellGroup grp : groups) {
            sb.append(g.toJson(groupJson(grp))).append('\n');
        }
        AtomicFiles.writeString(dir.resolve("cells.jsonl"), sb);
    }

    /** Reads a plan folder. */
    public static SweepPlan read(Path dir) {
        Path planFile = dir.resolve("plan.json");
        Path cellsFile = dir.resolve("cells.jsonl");
        try {
            SweepSpec spec = specFromJson(JsonParser.parseString(Files.readString(planFile)).getAsJsonObject(), planFile);
            List<CellGroup> groups = new ArrayList<>();
            int line = 0;
            for (String l : Files.readAllLines(cellsFile)) {
                line++;
                if (l.isBlank()) {
                    continue;
                }
                try {
                    groups.add(groupFromJson(JsonParser.parseString(l).getAsJsonObject(), spec));
                } catch (RuntimeException e) {
                    throw CheckpointException.of(cellsFile, "line " + line + ": not a cell group: " + e.getMessage());
                }
            }
            return new SweepPlan(spec, List.copyOf(groups));
        } catch (java.nio.file.NoSuchFileException e) {
            throw CheckpointException.of(Path.of(e.getFile()), "no such file (is " + dir + " a plan folder from 'frontier plan'?)");
        } catch (IOException e) {
            throw CheckpointException.of(dir, "cannot read plan: " + e.getMessage());
        } catch (IllegalStateException | com.google.gson.JsonParseException e) {
            throw CheckpointException.of(planFile, "not a plan: " + e.getMessage());
        }
    }

    /** {@code plan.json}: the format tag, the original spec file and the spec in its own schema. */
    static JsonObject specJson(SweepSpec s) {
        JsonObject o = new JsonObject();
        o.addProperty("format", "moe-frontier/sweep-plan");
        o.addProperty("spec_file", s.file().toAbsolutePath().toString());
        o.add("spec", s.toJson());
        return o;
    }

    static SweepSpec specFromJson(JsonObject o, Path file) {
        if (!o.has("spec") || !o.get("spec").isJsonObject()) {
            throw CheckpointException.of(file, "not a plan of this version (no 'spec' object): run 'frontier plan' again");
        }
        return SweepSpec.fromJson(o.getAsJsonObject("spec"), Path.of(o.get("spec_file").getAsString()));
    }

    static JsonObject groupJson(CellGroup g) {
        JsonObject o = new JsonObject();
        o.addProperty("index", g.index());
        o.add("backbone", backboneJson(g.backbone()));
        JsonArray cells = new JsonArray();
        for (Cell c : g.cells()) {
            JsonObject co = new JsonObject();
            co.addProperty("compressor", c.compressor());
            co.add("options", mapJson(c.options()));
            co.addProperty("ratio", c.ratio());
            cells.add(co);
        }
        o.add("cells", cells);
        return o;
    }

    static CellGroup groupFromJson(JsonObject o, SweepSpec spec) {
        SweepSpec.Backbone b = backboneFromJson(o.getAsJsonObject("backbone"));
        List<Cell> cells = new ArrayList<>();
        for (JsonElement e : o.getAsJsonArray("cells")) {
            JsonObject c = e.getAsJsonObject();
            cells.add(new Cell(b.name(), c.get("compressor").getAsString(), mapFromJson(c.getAsJsonObject("options")),
                    c.get("ratio").getAsDouble()));
        }
        return new CellGroup(o.get("index").getAsInt(), b, List.copyOf(cells));
    }

    private static JsonObject backboneJson(SweepSpec.Backbone b) {
        JsonObject o = new JsonObject();
        o.addProperty("name", b.name());
        if (b.path() != null) {
            o.addProperty("path", b.path().toAbsolutePath().toString());
        }
        return o;
    }

    private static SweepSpec.Backbone backboneFromJson(JsonObject o) {
        return new SweepSpec.Backbone(o.get("name").getAsString(), o.has("path") ? Path.of(o.get("path").getAsString()) : null);
    }

    private static JsonObject mapJson(Map<String, String> m) {
        JsonObject o = new JsonObject();
        m.forEach(o::addProperty);
        return o;
    }

    private static Map<String, String> mapFromJson(JsonObject o) {
        Map<String, String> m = new LinkedHashMap<>();
        if (o != null) {
            o.entrySet().forEach(e -> m.put(e.getKey(), e.getValue().getAsString()));
        }
        return m;
    }
}
