package dev.moefrontier.integration;

import dev.moefrontier.integration.Procs.Proc;
import dev.moefrontier.plots.Figures;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.moefrontier.harness.model.MoeTransformer;
import dev.moefrontier.harness.sweep.Cell;
import dev.moefrontier.harness.sweep.Collector;
import dev.moefrontier.harness.sweep.RunDirectory;
import dev.moefrontier.harness.sweep.SweepPlan;
import dev.moefrontier.harness.sweep.SweepRunner;
import dev.moefrontier.harness.sweep.SweepSpec;
import dev.moefrontier.harness.sweep.SweepValidator;
import dev.moefrontier.harness.testing.Cli;
import dev.moefrontier.harness.util.Csv;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sweep on real minis, end to end: the CI subset spec ({@code scripts/sweeps/ci.yaml}) plus a third-party
 * compressor that fails, run once with a crash in the middle and resumed; its outputs checked for form and content,
 * against the tracked reference ({@code results/reference/ci}), against the same spec planned and submitted to a real
 * one-node SLURM cluster, and against its cells run as a plan by concurrent {@code run-cell} worker processes.
 */
@org.junit.jupiter.api.Tag("slow") // child JVMs, GB-sized tensors or whole sweeps: excluded by -Pfast
@org.junit.jupiter.api.TestMethodOrder(org.junit.jupiter.api.MethodOrderer.OrderAnnotation.class)
class SweepEndToEndTest {
    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    static final Path CI_SPEC = ROOT.resolve("scripts/sweeps/ci.yaml");
    static final Path CI_REFERENCE = ROOT.resolve("results/reference/ci");

    @TempDir
    static Path tmp;

    static Path run;
    static Path cache;
    static SweepPlan plan;
    static Map<Path, FileTime> beforeResume = new HashMap<>();
    static List<Path> doneBeforeCrash = new ArrayList<>();

    static SweepRunner runner() {
        return new SweepRunner(MoeTransformer::open, cache, s -> {});
    }

    @BeforeAll
    static void crashAndResume() throws IOException {
        cache = tmp.resolve("cache");
        run = tmp.resolve("run");
        SweepSpec ci = SweepSpec.load(CI_SPEC);
        List<SweepSpec.CompressorEntry> comps = new ArrayList<>(ci.compressors());
        comps.add(1, new SweepSpec.CompressorEntry("test-flaky", Map.of()));
        SweepSpec spec = new SweepSpec(ci.name(), ci.file(), ci.seed(), ci.backbones(), ci.calibration(), List.copyOf(comps), ci.ratios(),
                ci.hybridR1(), ci.tasks(), ci.batchTokens(), ci.dense());
        plan = SweepValidator.validate(spec);

        FlakyCompressor.crash = true;
        try {
            Error e = assertThrows(Error.class, () -> runner().sweep(plan, run, false));
            assertEquals("simulated crash", e.getMessage());
        } finally {
            FlakyCompressor.crash = false;
        }
        try (Stream<Path> s = Files.walk(run.resolve("cells"))) {
            s.filter(p -> p.getFileName().toString().equals("result.json")).forEach(doneBeforeCrash::add);
        }
        for (Path p : doneBeforeCrash) {
            beforeResume.put(p, Files.getLastModifiedTime(p));
        }
        assertFalse(Files.exists(run.resolve("frontier.csv")), "a crashed sweep writes no collected outputs");
        // Without --resume the folder is refused rather than mixed.
        assertThrows(RuntimeException.class, () -> runner().sweep(plan, run, false));
        runner().sweep(plan, run, true);
    }

    static List<Map<String, String>> frontier(Path dir) throws IOException {
        return Csv.parse(Files.readString(dir.resolve("frontier.csv")));
    }

    @Test
    void crashLosesNothingAndResumeDuplicatesNothing() throws IOException {
        int ratios = plan.spec().ratios().size();
        int backbones = plan.groups().size();
        // The crash came at the first backbone's first test-flaky cell: its dense and first-compressor cells were done.
        assertEquals(1 + ratios, doneBeforeCrash.size(), doneBeforeCrash.toString());
        for (Path p : doneBeforeCrash) {
            assertEquals(beforeResume.get(p), Files.getLastModifiedTime(p), "resume recomputed a finished cell " + p);
        }
        RunDirectory rd = new RunDirectory(run);
        int expected = plan.cellCount() - ratios * backbones; // all but the failing compressor's cells
        assertEquals(expected, rd.results().size());
        List<String> ids = rd.results().stream().map(r -> r.cell().backbone() + "/" + r.cell().id()).toList();
        assertEquals(ids.size(), ids.stream().distinct().count(), "duplicated cells: " + ids);
        try (Stream<Path> s = Files.walk(run)) {
            assertEquals(List.of(), s.filter(p -> p.getFileName().toString().contains(".tmp")).toList(), "temporary files left behind");
        }
    }

    @Test
    void failingCellIsRecordedAndTheSweepGoesOn() throws IOException {
        RunDirectory rd = new RunDirectory(run);
        List<dev.moefrontier.harness.sweep.CellError> errors = rd.errors();
        assertEquals(plan.spec().ratios().size() * plan.groups().size(), errors.size());
        for (dev.moefrontier.harness.sweep.CellError e : errors) {
            assertEquals("test-flaky", e.compressor());
            assertEquals("flaky compressor failed on purpose", e.error());
        }
        assertTrue(frontier(run).stream().noneMatch(r -> r.get("compressor").equals("test-flaky")));
        assertTrue(Files.readString(run.resolve("report.html")).contains("flaky compressor failed on purpose"));
    }

    @Test
    void frontierCsvIsLongFormatWithOneRowPerCellTaskMetric() throws IOException {
        List<String> lines = Files.readAllLines(run.resolve("frontier.csv"));
        assertEquals(Collector.HEADER, lines.get(0));
        List<Map<String, String>> rows = frontier(run);
        java.util.Set<String> keys = new java.util.HashSet<>();
        for (Map<String, String> r : rows) {
            assertTrue(keys.add(r.get("backbone") + r.get("compressor") + r.get("options") + r.get("ratio") + r.get("task") + r.get("metric")),
                    "duplicate row " + r);
            double v = Double.parseDouble(r.get("value"));
            assertTrue(Double.isFinite(v), r.toString());
            double c = Double.parseDouble(r.get("compression"));
            if (r.get("compressor").equals("dense")) {
                assertEquals(0.0, c, "the dense model is compression 0");
            } else {
                assertTrue(c > 0 && c < 1, r.toString());
            }
            if (r.get("metric").equals("acc")) {
                assertTrue(v >= 0 && v <= 1, r.toString());
            }
        }
        // Every finished cell has both tasks' headline metrics, per-domain subtasks included.
        for (String[] tm : new String[][] {{"mini_ppl", "ppl"}, {"mini_ppl", "nll"}, {"mini_mc", "acc"}, {"mini_mc", "acc_norm"}}) {
            long n = rows.stream().filter(r -> r.get("task").equals(tm[0]) && r.get("metric").equals(tm[1])).count();
            assertEquals(new RunDirectory(run).results().size(), n, tm[0] + " " + tm[1]);
        }
        assertTrue(rows.stream().anyMatch(r -> r.get("task").equals("mini_ppl_arith")), "per-domain subtasks");
        // Expert ratio is what the plan achieved: 25% of 64 experts is exactly 16 on olmoe-mini.
        Map<String, String> freq = rows.stream().filter(r -> r.get("backbone").equals("olmoe-mini") && r.get("compressor").equals("frequency")
                && r.get("ratio").equals("0.25")).findFirst().orElseThrow();
        assertEquals(0.25, Double.parseDouble(freq.get("expert_ratio")), 1e-12);
        // Hybrids record their stage ratios; their total compression exceeds the expert stage.
        rows.stream().filter(r -> r.get("compressor").endsWith("+wanda")).forEach(r -> {
            assertFalse(r.get("r1").isEmpty() || r.get("r2").isEmpty(), r.toString());
            assertTrue(Double.parseDouble(r.get("compression")) > Double.parseDouble(r.get("r1")) - 1e-9, r.toString());
        });
    }

    @Test
    void cellFilesAreLmEvalShapedWithPlansAndScores() throws IOException {
        for (Cell c : plan.groups().get(0).cells()) {
            Path dir = new RunDirectory(run).cellDir(c);
            if (c.compressor().equals("test-flaky")) {
                assertFalse(Files.exists(dir.resolve("result.json")));
                continue;
            }
            JsonObject r = JsonParser.parseString(Files.readString(dir.resolve("result.json"))).getAsJsonObject();
            for (String k : List.of("results", "versions", "n-samples", "config")) {
                assertTrue(r.has(k), c.id() + " lacks " + k);
            }
            assertTrue(r.getAsJsonObject("results").getAsJsonObject("mini_mc").has("acc,none")
                    || r.getAsJsonObject("results").getAsJsonObject("mini_mc").has("acc"), r.toString());
            assertEquals(!c.isDense(), Files.exists(dir.resolve("pruning_plan.json")), c.id());
        }
        List<Map<String, String>> scores = Csv.parse(Files.readString(run.resolve("scores.csv")));
        long reap = scores.stream().filter(r -> r.get("backbone").equals("olmoe-mini") && r.get("compressor").equals("reap")).count();
        assertEquals(4 * 64, reap, "one row per layer x expert");
    }

    @Test
    void hodgeDiagnosticsCoverEveryCompressedCellAndLayer() throws IOException {
        List<Map<String, String>> bal = Csv.parse(Files.readString(run.resolve("hodge_balance.csv")));
        long means = bal.stream().filter(r -> r.get("layer").equals("mean")).count();
        long compressedCells = new RunDirectory(run).results().stream().filter(r -> !r.cell().isDense()).count();
        assertEquals(compressedCells, means);
        for (Map<String, String> r : bal) {
            for (String k : List.of("gradient", "curl", "harmonic", "triplet", "balance")) {
                double v = Double.parseDouble(r.get(k));
                assertTrue(Double.isNaN(v) || (v >= -1e-9 && v <= 1 + 1e-9), r.toString());
            }
        }
        List<Map<String, String>> harm = Csv.parse(Files.readString(run.resolve("harmonic_energy.csv")));
        for (var g : plan.groups()) {
            long layers = harm.stream().filter(r -> r.get("backbone").equals(g.backbone().name())).count();
            try (MoeTransformer m = MoeTransformer.open(g.backbone().directory())) {
                assertEquals(m.config().moeLayers().size(), layers, g.backbone().name());
            }
        }
        for (Map<String, String> r : harm) {
            double f = Double.parseDouble(r.get("harmonic_energy_fraction"));
            assertTrue(f >= 0 && f <= 1 + 1e-9, r.toString());
            assertEquals(80, r.get("betti1_curve").split(" ").length, "80-point filtration");
        }
        assertTrue(Files.readString(run.resolve("hodge_balance.md")).contains("| backbone | compressor | ratio |"));
    }

    @Test
    void theClaimsTableListsC1ToC7PerBackboneAndComesFirstInTheReport() throws IOException {
        List<Map<String, String>> claims = Csv.parse(Files.readString(run.resolve("claims.csv")));
        for (var g : plan.groups()) {
            List<String> ids = claims.stream().filter(r -> r.get("backbone").equals(g.backbone().name())).map(r -> r.get("claim")).toList();
            assertEquals(List.of("C1", "C2", "C3", "C4", "C5", "C6", "C7"), ids, g.backbone().name());
        }
        Map<String, String> harm = new java.util.HashMap<>();
        Csv.parse(Files.readString(run.resolve("harmonic_energy.csv"))).forEach(r -> harm.merge(r.get("backbone"),
                Double.parseDouble(r.get("harmonic_energy_fraction")) >= 0.29 && Double.parseDouble(r.get("harmonic_energy_fraction")) <= 0.62
                        ? "holds" : "fails", (a, b) -> a.equals("fails") || b.equals("fails") ? "fails" : "holds"));
        for (Map<String, String> r : claims) {
            assertTrue(List.of("holds", "fails", "not resolved", "not measured").contains(r.get("verdict")), r.toString());
            if (r.get("claim").equals("C1")) {
                assertEquals(harm.get(r.get("backbone")), r.get("verdict"), "C1 from harmonic_energy.csv: " + r);
            }
            if (r.get("claim").equals("C2")) { // the CI spec has no 33% or 66% cells
                assertEquals("not measured", r.get("verdict"), r.toString());
            }
        }
        String html = Files.readString(run.resolve("report.html"));
        assertTrue(html.indexOf("Paper claims") > 0 && html.indexOf("Paper claims") < html.indexOf("Frontier table"), "claims first");
        assertTrue(Files.readString(run.resolve("table.md")).startsWith("# ci\n\n## Paper claims"));
    }

    @Test
    void plotsAreWrittenAsPngAndSvgAndEmbeddedInTheReport() throws Exception {
        String html = Files.readString(run.resolve("report.html"));
        Matcher m = Pattern.compile("plots/([A-Za-z0-9._-]+)\\.svg").matcher(html); // PNGs are inlined, SVGs linked
        List<String> figures = new ArrayList<>();
        while (m.find()) {
            figures.add(m.group(1));
        }
        // Per backbone: expert and hybrid frontiers for both tasks, balance bars and curve, beta_1; plus harmonic energy.
        int backbones = plan.groups().size();
        assertEquals(backbones * (2 * 2 + 3) + 1, figures.stream().distinct().count(), figures.toString());
        DocumentBuilderFactory xml = DocumentBuilderFactory.newInstance();
        xml.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false); // no network for the SVG DTD
        javax.xml.parsers.DocumentBuilder svgParser = xml.newDocumentBuilder();
        for (String f : figures) {
            BufferedImage img = ImageIO.read(run.resolve("plots").resolve(f + ".png").toFile());
            assertTrue(img.getWidth() >= Figures.WIDTH && img.getHeight() == Figures.HEIGHT, f);
            svgParser.parse(run.resolve("plots").resolve(f + ".svg").toFile()); // well-formed XML
        }
        String svg = Files.readString(run.resolve("plots/frontier_olmoe-mini_mini_ppl_experts.svg"));
        assertTrue(svg.contains("<svg") && svg.contains("<path"), "a vector drawing (text is drawn as outlines)");
        assertTrue(html.contains("olmoe-mini: mini_mc acc (expert pruning and merging)"), "titled figures");
        assertTrue(html.contains("<table>") && html.contains("data:image/png;base64,"));
    }

    @Test
    void runMatchesTheTrackedCiReference() throws IOException {
        Cli.Result r = Cli.run("check", run.toString(), "--against", CI_REFERENCE.toString());
        assertEquals(0, r.status(), r.out() + r.err());
        assertTrue(r.out().contains("OK: "), r.out());
    }

    @Test
    void checkDetectsAnInjectedRegression() throws IOException {
        Path bad = tmp.resolve("regressed");
        Files.createDirectories(bad);
        List<String> lines = new ArrayList<>(Files.readAllLines(run.resolve("frontier.csv")));
        int i = 1;
        while (!(lines.get(i).contains(",reap,") && lines.get(i).contains(",mini_mc,acc,"))) {
            i++;
        }
        List<String> f = new ArrayList<>(Csv.fields(lines.get(i)));
        f.set(10, Double.toString(Double.parseDouble(f.get(10)) - 0.2)); // value column
        lines.set(i, Csv.row(f.toArray()).stripTrailing());
        Files.write(bad.resolve("frontier.csv"), lines);
        Files.copy(run.resolve("plans.jsonl"), bad.resolve("plans.jsonl"));
        Files.copy(run.resolve("manifest.json"), bad.resolve("manifest.json"));
        Cli.Result r = Cli.run("check", bad.toString(), "--against", CI_REFERENCE.toString());
        assertEquals(1, r.status(), r.out());
        assertTrue(r.out().contains("WORSE") && r.out().contains("reap") && r.out().contains("mini_mc acc"), r.out());
        assertTrue(r.out().contains("REGRESSION: 1 of"), r.out());
    }

    @Test
    void checkReportsAChangedPlanAsPlanChangedAndSkipsItsValues() throws IOException {
        Path changed = tmp.resolve("plan-changed");
        Files.createDirectories(changed);
        Files.copy(run.resolve("manifest.json"), changed.resolve("manifest.json"));
        // The reap cell at r=0.25 on olmoe-mini keeps expert 99 instead of its first kept expert, and scores far worse.
        List<String> plans = new ArrayList<>(Files.readAllLines(run.resolve("plans.jsonl")));
        int p = 0;
        while (!(plans.get(p).contains("\"backbone\":\"olmoe-mini\",\"compressor\":\"reap\"") && plans.get(p).contains("\"ratio\":\"0.25\""))) {
            p++;
        }
        JsonObject rec = JsonParser.parseString(plans.get(p)).getAsJsonObject();
        rec.addProperty("fingerprint", "0000000000000000");
        JsonObject layer0 = rec.getAsJsonArray("layers").get(0).getAsJsonObject();
        int first = layer0.getAsJsonArray("kept").get(0).getAsInt();
        layer0.getAsJsonArray("kept").set(0, new com.google.gson.JsonPrimitive(99));
        plans.set(p, rec.toString());
        Files.write(changed.resolve("plans.jsonl"), plans);
        List<String> lines = new ArrayList<>(Files.readAllLines(run.resolve("frontier.csv")));
        for (int i = 1; i < lines.size(); i++) {
            List<String> f = new ArrayList<>(Csv.fields(lines.get(i)));
            if (f.get(0).equals("olmoe-mini") && f.get(1).equals("reap") && f.get(3).equals("0.25") && f.get(9).equals("acc")) {
                f.set(10, "0.01");
                lines.set(i, Csv.row(f.toArray()).stripTrailing());
            }
        }
        Files.write(changed.resolve("frontier.csv"), lines);
        Cli.Result r = Cli.run("check", changed.toString(), "--against", CI_REFERENCE.toString());
        assertEquals(1, r.status(), "the CI reference is reproducible-mode: a plan change fails by default\n" + r.out());
        assertTrue(r.out().contains("PLAN CHANGED olmoe-mini | reap | r=0.25: layer 0: kept -[" + first + "] +[99]"), r.out());
        assertFalse(r.out().contains("WORSE"), "values of the changed plan are not compared: " + r.out());
        assertEquals(0, Cli.run("check", changed.toString(), "--against", CI_REFERENCE.toString(), "--plan-changes", "warn").status());
    }

    /**
     * The plan of {@code scripts/sweeps/ci.yaml} submitted unedited to a real one-node SLURM cluster (Debian's slurm-wlm
     * and munge, installed and started by {@code scripts/cluster/slurm-one-node}): the phases run in order, the
     * finishing job completes, and the collected results equal this class's local sweep, value for value and by {@code
     * frontier check}. Tasks run again afterwards redo nothing. Its cache (barriers computed layer by layer) is then
     * reused by {@link #planRunByConcurrentWorkerProcessesMatchesTheSweep}.
     */
    @Test
    @org.junit.jupiter.api.Order(1)
    void planSubmittedUneditedToARealSlurmClusterMatchesTheSweep() throws Exception {
        Path cluster = tmp.resolve("slurm");
        Path planDir = tmp.resolve("slurm-plan");
        Map<String, String> env = new HashMap<>();
        try {
            Proc up = exec(List.of(ROOT.resolve("scripts/cluster/slurm-one-node").toString(), "up", cluster.toString()), Map.of(), 600);
            assertEquals(0, up.status(), "a one-node SLURM cluster must start (install slurm-wlm and munge, or run as root):\n" + up.out());
            String conf = up.out().lines().filter(l -> l.startsWith("SLURM_CONF=")).findFirst().orElseThrow().substring("SLURM_CONF=".length());
            env.put("SLURM_CONF", conf);
            // As a user would: the CLI in a process of its own, with SLURM on PATH; three cells per phase-3 task.
            Proc p = exec(List.of(javaBin(), "-cp", System.getProperty("java.class.path"), "dev.moefrontier.harness.cli.Main", "plan",
                    CI_SPEC.toString(), "--out", planDir.toString(), "--cache", SLURM_CACHE.get().toString(), "--cells-per-task", "3"), env, 300);
            assertEquals(0, p.status(), p.out());
            assertTrue(p.out().contains("sbatch --test-only accepted every SLURM script"), p.out());
            Proc submit = exec(List.of("bash", planDir.resolve("submit.sh").toString()), env, 60);
            assertEquals(0, submit.status(), submit.out());
            List<String> lines = submit.out().lines().toList();
            String finalJob = lines.get(lines.size() - 1).strip();
            assertTrue(finalJob.matches("\\d+"), "submit.sh's last line is the final job's id: " + submit.out());
            long deadline = System.nanoTime() + 30L * 60 * 1_000_000_000L;
            while (!exec(List.of("squeue", "-h", "-o", "%i"), env, 30).out().isBlank()) {
                assertTrue(System.nanoTime() < deadline, "the plan's jobs did not finish within 30 min:\n" + exec(List.of("squeue"), env, 30).out());
                Thread.sleep(3000);
            }
            String state = exec(List.of("scontrol", "show", "job", finalJob), env, 30).out();
            assertTrue(state.contains("JobState=COMPLETED"), "the finishing job completed:\n" + state + "\n" + logs(planDir));

            // Each phase started after the one before had finished (tasks/PHASE-I.json: start and seconds).
            double previousEnd = 0;
            for (String phase : List.of("stats", "layers", "cells", "finish")) {
                double start = Double.MAX_VALUE;
                double end = 0;
                try (Stream<Path> s = Files.list(planDir.resolve("tasks"))) {
                    for (Path f : s.filter(x -> x.getFileName().toString().startsWith(phase + "-")).toList()) {
                        JsonObject r = JsonParser.parseString(Files.readString(f)).getAsJsonObject();
                        assertEquals(0, r.get("exit_status").getAsInt(), f + ": " + r);
                        double t0 = java.time.Instant.parse(r.get("started").getAsString()).toEpochMilli() / 1e3;
                        start = Math.min(start, t0);
                        end = Math.max(end, t0 + r.get("seconds").getAsDouble());
                    }
                }
                assertTrue(end > 0, "phase " + phase + " ran");
                assertTrue(start >= previousEnd - 1e-3, "phase " + phase + " started before the phase before had finished");
                previousEnd = end;
            }

            Path slurmRun = planDir.resolve("run");
            assertEquals(values(frontier(run)), values(frontier(slurmRun)), "the cluster's results equal the local sweep's");
            assertArrayEquals(Files.readAllLines(run.resolve("hodge_balance.csv")).toArray(),
                    Files.readAllLines(slurmRun.resolve("hodge_balance.csv")).toArray());
            Path local = localReference(tmp.resolve("local-reference"));
            Cli.Result check = Cli.run("check", slurmRun.toString(), "--against", local.toString());
            assertEquals(0, check.status(), check.out() + check.err());

            // Run again (as a requeued task would): nothing is recomputed.
            Cli.Result again = Cli.run("task", "--plan", planDir.toString(), "--phase", "layers", "--index", "0", "--cache",
                    SLURM_CACHE.get().toString());
            assertEquals(0, again.status(), again.err());
            assertTrue(again.out().contains("computed []"), again.out());
            Cli.Result cellsAgain = Cli.run("task", "--plan", planDir.toString(), "--phase", "cells", "--index", "0", "--cache",
                    SLURM_CACHE.get().toString());
            assertEquals(0, cellsAgain.status(), cellsAgain.err());
            assertTrue(cellsAgain.out().contains("0 cells run, 3 already done, 0 failed"), cellsAgain.out());
        } finally {
            exec(List.of(ROOT.resolve("scripts/cluster/slurm-one-node").toString(), "down", cluster.toString()), Map.of(), 60);
        }
    }

    /** The cache the SLURM plan filled (barriers layer by layer), shared with the run-cell workers. */
    static final java.util.function.Supplier<Path> SLURM_CACHE = () -> tmp.resolve("slurm-cache");

    /** This class's local sweep as a reference folder for {@code frontier check}: without the flaky compressor's cells. */
    static Path localReference(Path dir) throws IOException {
        Files.createDirectories(dir);
        List<String> rows = Files.readAllLines(run.resolve("frontier.csv"));
        List<String> kept = new ArrayList<>();
        for (String r : rows) {
            if (!r.contains(",test-flaky,")) {
                kept.add(r);
            }
        }
        Files.write(dir.resolve("frontier.csv"), kept);
        Files.write(dir.resolve("plans.jsonl"), Files.readAllLines(run.resolve("plans.jsonl")).stream()
                .filter(l -> !l.contains("\"compressor\":\"test-flaky\"")).toList());
        Files.copy(run.resolve("environment.json"), dir.resolve("environment.json"));
        Files.copy(CI_REFERENCE.resolve("tolerances.json"), dir.resolve("tolerances.json"));
        return dir;
    }

    /** Runs a command with extra environment variables, bounded; stdout and stderr together. */
    static Proc exec(List<String> cmd, Map<String, String> env, int timeoutSeconds) throws IOException, InterruptedException {
        return Procs.exec(cmd, env, timeoutSeconds, tmp);
    }

    static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** The tails of a plan's logs, for a failure message. */
    static String logs(Path planDir) throws IOException {
        StringBuilder sb = new StringBuilder();
        try (Stream<Path> s = Files.list(planDir.resolve("logs"))) {
            for (Path f : s.sorted().toList()) {
                List<String> l = Files.readAllLines(f);
                sb.append("== ").append(f).append('\n').append(String.join("\n", l.subList(Math.max(0, l.size() - 5), l.size()))).append('\n');
            }
        }
        return sb.toString();
    }

    @Test
    @org.junit.jupiter.api.Order(2)
    void planRunByConcurrentWorkerProcessesMatchesTheSweep() throws Exception {
        Path planDir = tmp.resolve("plan");
        Cli.Result p = Cli.run("plan", CI_SPEC.toString(), "--out", planDir.toString(), "--throttle", "2", "--no-check");
        assertEquals(0, p.status(), p.err());
        assertTrue(Files.readString(planDir.resolve("slurm/3-cells.sbatch")).contains("--array=0-" + (SweepPlan.read(planDir).cellCount() - 1) + "%2"),
                "one phase-3 task per cell by default");
        assertFalse(Files.readString(planDir.resolve("slurm/1-stats.sbatch")).contains("--gres"), "CPU-only unless asked for");
        assertTrue(Files.readString(planDir.resolve("k8s/3-cells.yaml")).contains("JOB_COMPLETION_INDEX"));
        assertEquals(plan.groups().size(), Files.readAllLines(planDir.resolve("cells.jsonl")).size());
        // One worker per group plus a duplicate of group 0, all at once into one folder with one shared cache.
        List<Process> workers = new ArrayList<>();
        List<Integer> indexes = new ArrayList<>();
        for (int g = 0; g < plan.groups().size(); g++) {
            indexes.add(g);
        }
        indexes.add(0);
        for (int g : indexes) {
            ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g", "-cp",
                    System.getProperty("java.class.path"), "dev.moefrontier.harness.cli.Main", "run-cell", "--plan", planDir.toString(),
                    "--index", Integer.toString(g), "--cache", SLURM_CACHE.get().toString(), "--quiet");
            pb.redirectErrorStream(true).redirectOutput(tmp.resolve("worker-" + workers.size() + ".log").toFile());
            pb.environment().put("DJL_OFFLINE", "true");
            workers.add(pb.start());
        }
        for (int w = 0; w < workers.size(); w++) {
            assertEquals(0, workers.get(w).waitFor(), Files.readString(tmp.resolve("worker-" + w + ".log")));
        }
        // The duplicate of group 0 claims cells instead of repeating them: together the two ran each cell once.
        int ranInGroup0 = 0;
        java.util.regex.Pattern done = java.util.regex.Pattern.compile("group 0: (\\d+) cells run");
        for (int w : List.of(0, workers.size() - 1)) {
            java.util.regex.Matcher mt = done.matcher(Files.readString(tmp.resolve("worker-" + w + ".log")));
            assertTrue(mt.find(), "worker " + w + " reports its cells");
            ranInGroup0 += Integer.parseInt(mt.group(1));
        }
        assertEquals(SweepPlan.read(planDir).groups().get(0).cells().size(), ranInGroup0, "no cell of group 0 computed twice");
        Cli.Result c = Cli.run("collect", planDir.toString());
        assertEquals(0, c.status(), c.err());
        Map<String, String> sweep = values(frontier(run));
        Map<String, String> planned = values(frontier(planDir.resolve("run")));
        assertEquals(sweep, planned, "run-cell + collect reproduces the sweep");
        assertArrayEquals(Files.readAllLines(run.resolve("hodge_balance.csv")).toArray(),
                Files.readAllLines(planDir.resolve("run/hodge_balance.csv")).toArray());
    }

    /** Row key → value and compression (elapsed time differs between runs, nothing else may). */
    static Map<String, String> values(List<Map<String, String>> rows) {
        Map<String, String> m = new java.util.TreeMap<>();
        for (Map<String, String> r : rows) {
            if (!r.get("compressor").equals("test-flaky")) {
                m.put(r.get("backbone") + "|" + r.get("compressor") + "|" + r.get("options") + "|" + r.get("ratio") + "|" + r.get("task") + "|"
                        + r.get("metric"), r.get("value") + "|" + r.get("compression") + "|" + r.get("expert_ratio"));
            }
        }
        return m;
    }
}
