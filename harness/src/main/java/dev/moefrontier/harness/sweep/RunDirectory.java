package dev.moefrontier.harness.sweep;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.moefrontier.harness.io.CheckpointException;
import dev.moefrontier.harness.util.AtomicFiles;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * A run's folder. Every cell owns {@code cells/<backbone>/<cell id>/}: {@code result.json} (lm-eval-shaped, with the
 * cell, accounting and metrics under {@code frontier}), {@code pruning_plan.json}, {@code scores.csv} for scoring
 * compressors, or {@code error.json} when it failed. Files are written to a temporary name and renamed, and no two
 * cells share a file, so any number of workers can fill one folder at once; a cell is done when its
 * {@code result.json} exists. Per-backbone analyses go to {@code analysis/<backbone>/}; collected outputs to the root.
 */
public final class RunDirectory {
    static final Gson GSON = new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().disableHtmlEscaping().create();

    private final Path root;

    public RunDirectory(Path root) {
        this.root = root;
    }

    public Path root() {
        return root;
    }

    public Path cellDir(Cell c) {
        return root.resolve("cells").resolve(c.backbone()).resolve(c.id());
    }

    public Path analysisDir(String backbone) {
        return root.resolve("analysis").resolve(backbone);
    }

    public boolean done(Cell c) {
        return Files.isRegularFile(cellDir(c).resolve("result.json"));
    }

    public void writeJson(Path file, JsonObject o) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        AtomicFiles.writeString(file, GSON.toJson(o) + "\n");
    }

    /** Records a failed cell (its message and stack trace); a later result replaces it. */
    public void writeError(Cell c, Throwable t) throws IOException {
        JsonObject o = new JsonObject();
        o.addProperty("cell", c.id());
        o.addProperty("backbone", c.backbone());
        o.addProperty("compressor", c.compressor());
        o.addProperty("options", c.optionString());
        o.addProperty("ratio", c.ratio());
        o.addProperty("error", String.valueOf(t.getMessage()));
        StringWriter sw = new StringWriter();
        t.printStackTrace(new PrintWriter(sw));
        o.addProperty("trace", sw.toString());
        writeJson(cellDir(c).resolve("error.json"), o);
    }

    /** Every finished cell's result, in a stable order (backbone, then folder name). */
    public List<CellResult> results() throws IOException {
        List<CellResult> out = new ArrayList<>();
        for (Path f : files("result.json")) {
            try {
                JsonObject o = JsonParser.parseString(Files.readString(f)).getAsJsonObject();
                out.add(CellResult.fromJson(o.getAsJsonObject("frontier").getAsJsonObject("cell_result")));
            } catch (RuntimeException e) {
                throw CheckpointException.of(f, "not a cell result: " + e.getMessage());
            }
        }
        return out;
    }

    /** Every failed cell's error.json (for cells that have no result since). */
    public List<JsonObject> errors() throws IOException {
        List<JsonObject> out = new ArrayList<>();
        for (Path f : files("error.json")) {
            if (!Files.exists(f.resolveSibling("result.json"))) {
                out.add(JsonParser.parseString(Files.readString(f)).getAsJsonObject());
            }
        }
        return out;
    }

    private List<Path> files(String name) throws IOException {
        Path cells = root.resolve("cells");
        if (!Files.isDirectory(cells)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(cells, 3)) {
            return s.filter(p -> p.getFileName().toString().equals(name)).sorted().toList();
        }
    }
}
