package dev.moefrontier.harness.sweep;

import com.google.gson.JsonObject;
import dev.moefrontier.harness.spi.Compressor;
import dev.moefrontier.harness.compress.CompressorCatalog;
import dev.moefrontier.harness.io.CheckpointException;
import dev.moefrontier.harness.util.AtomicFiles;
import dev.moefrontier.harness.util.Json;
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
    /** The format tag of {@code plan.json}. */
    static final String FORMAT = "moe-frontier/sweep-plan";

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
        Json.write(dir.resolve("plan.json"), specJson(spec));
        StringBuilder sb = new StringBuilder();
        for (CellGroup grp : groups) {
            sb.append(Json.LINE.toJson(groupJson(grp))).append('\n');
        }
        AtomicFiles.writeString(dir.resolve("cells.jsonl"), sb);
    }

    /** Reads a plan folder. */
    public static SweepPlan read(Path dir) {
        Path planFile = dir.resolve("plan.json");
        Path cellsFile = dir.resolve("cells.jsonl");
        try {
            SweepSpec spec = specFromJson(Json.read(planFile, PlanDocument.class, "sweep plan"), planFile);
            List<CellGroup> groups = new ArrayList<>();
            int line = 0;
            for (String l : Files.readAllLines(cellsFile)) {
                line++;
                if (l.isBlank()) {
                    continue;
                }
                try {
                    groups.add(groupFromJson(Json.bind(l, GroupLine.class), spec));
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

    /**
     * {@code plan.json}: the format tag, the original spec file and the spec in its own schema.
     *
     * @param format "moe-frontier/sweep-plan"
     * @param specFile the spec file's absolute path
     * @param spec the resolved spec ({@link SweepSpec#toJson()})
     */
    record PlanDocument(String format, String specFile, JsonObject spec) {}

    /** One line of {@code cells.jsonl}: a cell group. */
    record GroupLine(int index, BackboneFields backbone, List<CellFields> cells) {}

    /** A backbone as a plan stores it (path null for a bundled mini). */
    record BackboneFields(String name, String path) {}

    /** A cell of a group. */
    record CellFields(String compressor, Map<String, String> options, double ratio) {}

    static PlanDocument specJson(SweepSpec s) {
        return new PlanDocument(FORMAT, s.file().toAbsolutePath().toString(), s.toJson());
    }

    static SweepSpec specFromJson(PlanDocument o, Path file) {
        if (!FORMAT.equals(o.format())) {
            throw CheckpointException.of(file, "not a sweep plan (format " + o.format() + ")");
        }
        if (o.spec() == null) {
            throw CheckpointException.of(file, "not a plan of this version (no 'spec' object): run 'frontier plan' again");
        }
        if (o.specFile() == null) {
            throw CheckpointException.of(file, "not a plan: no 'spec_file'");
        }
        return SweepSpec.fromJson(o.spec(), Path.of(o.specFile()));
    }

    static GroupLine groupJson(CellGroup g) {
        List<CellFields> cells = new ArrayList<>();
        for (Cell c : g.cells()) {
            cells.add(new CellFields(c.compressor(), c.options(), c.ratio()));
        }
        SweepSpec.Backbone b = g.backbone();
        return new GroupLine(g.index(), new BackboneFields(b.name(), b.path() == null ? null : b.path().toAbsolutePath().toString()),
                cells);
    }

    static CellGroup groupFromJson(GroupLine o, SweepSpec spec) {
        if (o.backbone() == null || o.backbone().name() == null || o.cells() == null) {
            throw new IllegalArgumentException("no backbone name or cells");
        }
        SweepSpec.Backbone b = new SweepSpec.Backbone(o.backbone().name(), o.backbone().path() == null ? null : Path.of(o.backbone().path()));
        List<Cell> cells = new ArrayList<>();
        for (CellFields c : o.cells()) {
            if (c.compressor() == null) {
                throw new IllegalArgumentException("a cell without 'compressor'");
            }
            cells.add(new Cell(b.name(), c.compressor(), c.options() == null ? Map.of() : new LinkedHashMap<>(c.options()), c.ratio()));
        }
        return new CellGroup(o.index(), b, List.copyOf(cells));
    }
}
