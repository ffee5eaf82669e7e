package dev.moefrontier.harness.sweep;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.moefrontier.harness.io.CheckpointException;
import dev.moefrontier.harness.util.AtomicFiles;
import dev.moefrontier.harness.util.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A run's folder. Every cell owns {@code cells/<backbone>/<cell id>/}: {@code result.json} (lm-eval-shaped, with the
 * cell, accounting and metrics under {@code frontier}), {@code pruning_plan.json}, {@code scores.csv} for scoring
 * compressors, or {@code error.json} when it failed. Files are written to a temporary name and renamed, and no two
 * cells share a file, so any number of workers can fill one folder at once; a cell is done when its
 * {@code result.json} exists. Per-backbone analyses go to {@code analysis/<backbone>/}; collected outputs to the root.
 */
public final class RunDirectory {
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

    /** Key of the cell fingerprint in {@code result.json}'s {@code frontier} object. */
    public static final String FINGERPRINT = "cell_fingerprint";

    public boolean done(Cell c) {
        return Files.isRegularFile(cellDir(c).resolve("result.json"));
    }

    /** The {@link CellFingerprint} recorded in the cell's result, or null when it has none (or no result). */
    public String recordedFingerprint(Cell c) {
        return fingerprintOf(cellDir(c).resolve("result.json"));
    }

    static String fingerprintOf(Path result) {
        if (!Files.isRegularFile(result)) {
            return null;
        }
        try {
            JsonObject f = JsonParser.parseString(Files.readString(result)).getAsJsonObject().getAsJsonObject("frontier");
            return f != null && f.has(FINGERPRINT) ? f.get(FINGERPRINT).getAsString() : null;
        } catch (IOException | RuntimeException e) {
            return null; // unreadable: not a result of the current definition
        }
    }

    /** Deletes the cell's result files (before it is rerun under a new definition). */
    public void clearResult(Cell c) throws IOException {
        for (String f : new String[] {"result.json", "pruning_plan.json", "scores.csv", "error.json"}) {
            Files.deleteIfExists(cellDir(c).resolve(f));
        }
    }

    public void writeJson(Path file, JsonObject o) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        AtomicFiles.writeString(file, Json.PRETTY.toJson(o) + "\n");
    }

    /** Records a failed cell (its message and stack trace); a later result replaces it. */
    public void writeError(Cell c, Throwable t) throws IOException {
        Json.write(cellDir(c).resolve("error.json"), CellError.of(c, t));
    }

    /**
     * Every finished cell's result, in a stable order (backbone, then folder name). When the folder's
     * {@code manifest.json} lists the cell fingerprints of its spec, results of other definitions (an older spec's
     * cells, or cells not in the spec) are left out, so collected outputs never mix specs.
     */
    public List<CellResult> results() throws IOException {
        List<CellResult> out = new ArrayList<>();
        Map<String, String> expected = expectedFingerprints();
        for (Path f : files("result.json")) {
            if (expected != null) {
                if (!java.util.Objects.equals(expected.get(cellKey(f)), fingerprintOf(f))) {
                    continue;
                }
            }
            try {
                JsonObject o = JsonParser.parseString(Files.readString(f)).getAsJsonObject();
                out.add(CellResult.of(Json.bind(o.getAsJsonObject("frontier").getAsJsonObject("cell_result"), CellResult.Document.class)));
            } catch (RuntimeException e) {
                throw CheckpointException.of(f, "not a cell result: " + e.getMessage());
            }
        }
        return out;
    }

    /** "backbone/cell id" of a file in a cell's folder (the key of {@link CellFingerprint#key}). */
    private static String cellKey(Path fileInCell) {
        return fileInCell.getParent().getParent().getFileName() + "/" + fileInCell.getParent().getFileName();
    }

    /** The manifest's cell fingerprints by "backbone/cell id", or null when the folder has no such manifest. */
    Map<String, String> expectedFingerprints() throws IOException {
        Path m = root.resolve("manifest.json");
        if (!Files.isRegularFile(m)) {
            return null;
        }
        return RunManifest.read(m).cellFingerprints();
    }

    /** Every failed cell's error.json (for cells that have no result since). */
    public List<CellError> errors() throws IOException {
        List<CellError> out = new ArrayList<>();
        Map<String, String> expected = expectedFingerprints();
        for (Path f : files("error.json")) {
            if (expected != null && !expected.containsKey(cellKey(f))) {
                continue; // a cell of another spec
            }
            if (!Files.exists(f.resolveSibling("result.json"))) {
                out.add(Json.read(f, CellError.class, "cell error record"));
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
