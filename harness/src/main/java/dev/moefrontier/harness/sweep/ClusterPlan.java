package dev.moefrontier.harness.sweep;

import dev.moefrontier.harness.calib.Calibrator;
import dev.moefrontier.harness.compress.CompressorCatalog;
import dev.moefrontier.harness.io.CheckpointException;
import dev.moefrontier.harness.model.ModelConfig;
import dev.moefrontier.harness.util.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A sweep cut into scheduler tasks, in four phases run one after the other:
 *
 * <ol>
 *   <li>{@link Phase#STATS}: per backbone, the calibration statistics shared by all its layers (one streamed pass);</li>
 *   <li>{@link Phase#LAYERS}: per backbone and range of MoE layers, the {@link CalibrationStatistic.Computed#perLayer()
 *       per-layer} statistics (merge barriers), each layer into a cache file of its own;</li>
 *   <li>{@link Phase#CELLS}: per chunk of cells of one backbone, plan, evaluate and write the cells (every statistic a
 *       cache hit by now);</li>
 *   <li>{@link Phase#FINISH}: one task: the backbones' analyses, then collect (failing when a cell failed or is missing).</li>
 * </ol>
 *
 * Every task is idempotent: the cache and the cells' fingerprints decide what is already done, so a failed or
 * pre-empted task is simply run again. Written to {@code tasks.json} in the plan folder.
 *
 * @param stats phase 1a tasks
 * @param layers phase 1b tasks (empty when no compressor needs a per-layer statistic)
 * @param cells phase 2 tasks
 */
public record ClusterPlan(List<Task> stats, List<Task> layers, List<Task> cells) {
    static final String FORMAT = "moe-frontier/cluster-tasks";
    public static final String FILE = "tasks.json";

    /** The phases, in order. */
    public enum Phase {
        STATS, LAYERS, CELLS, FINISH;

        public String id() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        /** The phase named {@code s} (as in {@code --phase}). */
        public static Phase of(String s) {
            for (Phase p : values()) {
                if (p.id().equals(s)) {
                    return p;
                }
            }
            throw new IllegalArgumentException("no phase '" + s + "' (phases: stats, layers, cells, finish)");
        }
    }

    /**
     * One task.
     *
     * @param group the cell group (backbone), a line of {@code cells.jsonl}
     * @param layers MoE layers (phase layers; empty otherwise)
     * @param cells indexes of cells within the group (phase cells; empty otherwise)
     */
    public record Task(int group, List<Integer> layers, List<Integer> cells) {
        public Task {
            layers = List.copyOf(layers);
            cells = List.copyOf(cells);
        }
    }

    /** The tasks of a phase ({@link Phase#FINISH} has one, with nothing to list). */
    public List<Task> tasks(Phase p) {
        return switch (p) {
            case STATS -> stats;
            case LAYERS -> layers;
            case CELLS -> cells;
            case FINISH -> List.of(new Task(-1, List.of(), List.of()));
        };
    }

    /**
     * Cuts {@code plan} into tasks: {@code layersPerTask} MoE layers per per-layer task, {@code cellsPerTask} cells per
     * cell task (cells of one backbone only).
     */
    public static ClusterPlan of(SweepPlan plan, int layersPerTask, int cellsPerTask) {
        if (layersPerTask < 1 || cellsPerTask < 1) {
            throw new IllegalArgumentException("--layers-per-task and --cells-per-task must be positive");
        }
        CompressorCatalog catalog = CompressorCatalog.load();
        List<Task> stats = new ArrayList<>();
        List<Task> layers = new ArrayList<>();
        List<Task> cells = new ArrayList<>();
        for (CellGroup g : plan.groups()) {
            stats.add(new Task(g.index(), List.of(), List.of()));
            if (hasPerLayer(g, catalog)) {
                List<Integer> moe = ModelConfig.load(g.backbone().directory()).moeLayers();
                for (int i = 0; i < moe.size(); i += layersPerTask) {
                    layers.add(new Task(g.index(), moe.subList(i, Math.min(moe.size(), i + layersPerTask)), List.of()));
                }
            }
            for (int i = 0; i < g.cells().size(); i += cellsPerTask) {
                List<Integer> chunk = new ArrayList<>();
                for (int c = i; c < Math.min(g.cells().size(), i + cellsPerTask); c++) {
                    chunk.add(c);
                }
                cells.add(new Task(g.index(), List.of(), chunk));
            }
        }
        return new ClusterPlan(List.copyOf(stats), List.copyOf(layers), List.copyOf(cells));
    }

    /** Whether the group reads a per-layer statistic (directly or through what its statistics require). */
    static boolean hasPerLayer(CellGroup g, CompressorCatalog catalog) {
        return Calibrator.closure(GroupRunner.neededStats(g, catalog)).stream().anyMatch(Calibrator::isPerLayer);
    }

    /** {@code tasks.json}. */
    record Document(String format, Map<String, List<Task>> phases) {}

    public void write(Path planDir) throws IOException {
        Json.write(planDir.resolve(FILE), new Document(FORMAT, Map.of("stats", stats, "layers", layers, "cells", cells)));
    }

    public static ClusterPlan read(Path planDir) {
        Path f = planDir.resolve(FILE);
        if (!Files.isRegularFile(f)) {
            throw CheckpointException.of(f, "no such file (is " + planDir + " a plan folder from 'frontier plan'?)");
        }
        Document d;
        try {
            d = Json.read(f, Document.class, "cluster task list");
        } catch (IOException e) {
            throw CheckpointException.of(f, "cannot read: " + e.getMessage());
        }
        if (!FORMAT.equals(d.format()) || d.phases() == null) {
            throw CheckpointException.of(f, "not a task list of this version: run 'frontier plan' again");
        }
        return new ClusterPlan(list(d, "stats"), list(d, "layers"), list(d, "cells"));
    }

    private static List<Task> list(Document d, String phase) {
        List<Task> t = d.phases().get(phase);
        return t == null ? List.of() : t.stream().map(x -> new Task(x.group(), x.layers() == null ? List.of() : x.layers(),
                x.cells() == null ? List.of() : x.cells())).toList();
    }
}
