package dev.moefrontier.harness.cli;

import dev.moefrontier.harness.sweep.ClusterPlan;
import dev.moefrontier.harness.sweep.Schedulers;
import dev.moefrontier.harness.sweep.SweepPlan;
import dev.moefrontier.harness.sweep.SweepRunner;
import dev.moefrontier.harness.sweep.SweepSpec;
import dev.moefrontier.harness.sweep.SweepValidator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code frontier plan}. */
@Command(name = "plan", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Plan a sweep for a cluster scheduler (SLURM or Kubernetes), without running it.",
            "",
            "The sweep is cut into four phases of independent tasks, each phase after the one before:",
            "  1 stats   per backbone: calibration statistics shared by all layers (one streamed pass), into the cache",
            "  2 layers  per backbone and MoE layer range: per-layer statistics (merge barriers), a cache file per layer",
            "  3 cells   per chunk of cells: plan, evaluate, write into DIR/run",
            "  4 finish  analyses, then collect DIR/run (the job fails when a cell failed or is missing)",
            "",
            "Writes into DIR: plan.json, cells.jsonl, tasks.json, slurm/N-PHASE.sbatch, submit.sh (submits the phases with",
            "--dependency=afterok and prints the job ids, the final job's last), k8s/N-PHASE.yaml (Indexed Jobs) with",
            "k8s/apply.sh (applies them in order), logs/ and run/. DIR, the cache and this checkout must be on a file system",
            "every node sees at the same path. A failed or pre-empted task is requeued or resubmitted as it is: finished",
            "statistics, layers and cells are kept (cache and cell fingerprints), so running submit.sh again resumes.",
            "",
            "Resource options become #SBATCH lines; any left out is the scheduler's default, so a plain CPU partition runs",
            "the plan as written (--cpus defaults to 2, the reproducible mode's threads). When sbatch is on PATH and a controller answers, every script is checked with",
            "'sbatch --test-only'.",
            "",
            "--estimate prints each phase's FLOPs and hours on this machine and on an accelerator class (with or without",
            "--out).",
            "",
            "Examples:",
            "  frontier plan scripts/sweeps/paper.yaml --out /shared/plans/paper --partition gpu --gpus 1 --cpus 8 --mem 64G \\",
            "      --time 12:00:00 && bash /shared/plans/paper/submit.sh",
            "  frontier plan scripts/sweeps/paper.yaml --estimate --accelerator h100"})
final class PlanCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "SPEC")
    Path spec;

    @Option(names = "--out", paramLabel = "DIR", description = "Plan folder (required unless --estimate).")
    Path out;

    @Option(names = "--cache", paramLabel = "DIR", description = "Calibration cache the tasks share (default: DIR/cache).")
    Path cache;

    @Option(names = "--frontier", paramLabel = "CMD",
            description = "How tasks invoke the CLI (default: this checkout's launcher, by absolute path).")
    String frontier;

    @Option(names = "--layers-per-task", defaultValue = "1", paramLabel = "N", description = "MoE layers per phase-2 task. Default: ${DEFAULT-VALUE}.")
    int layersPerTask;

    @Option(names = "--cells-per-task", defaultValue = "1", paramLabel = "N", description = "Cells per phase-3 task. Default: ${DEFAULT-VALUE}.")
    int cellsPerTask;

    @Option(names = "--job-name", paramLabel = "NAME", description = "Job name prefix (default: mf-SPECNAME).")
    String jobName;

    @Option(names = "--partition", paramLabel = "P", description = "SLURM partition.")
    String partition;

    @Option(names = "--account", paramLabel = "A", description = "SLURM account.")
    String account;

    @Option(names = "--qos", paramLabel = "Q", description = "SLURM quality of service.")
    String qos;

    @Option(names = "--time", paramLabel = "T", description = "Time limit per task (SLURM syntax, e.g. 04:00:00).")
    String time;

    @Option(names = "--cpus", paramLabel = "N", description = "CPUs per task. Default: the reproducible numerics mode's intra-op"
            + " threads (2); fewer oversubscribe the cores (measured here: barrier tasks 3-30x slower).")
    Integer cpus = dev.moefrontier.harness.runtime.Numerics.THREADS;

    @Option(names = "--mem", paramLabel = "M", description = "Memory per task (e.g. 64G).")
    String mem;

    @Option(names = "--gpus", paramLabel = "N", description = "GPUs per task (--gres=gpu:N). Default: none (CPU only).")
    Integer gpus;

    @Option(names = "--gres", paramLabel = "SPEC", description = "Generic resources verbatim (e.g. gpu:a100:1); instead of --gpus.")
    String gres;

    @Option(names = "--sbatch", paramLabel = "LINE", description = "An extra #SBATCH line, verbatim (repeatable), e.g. --sbatch=--constraint=avx512.")
    List<String> extra = new ArrayList<>();

    @Option(names = {"--throttle", "--parallel"}, defaultValue = "0", paramLabel = "K",
            description = "Array tasks running at once (%%K); 0 = as many as the scheduler allows. Default: ${DEFAULT-VALUE}.")
    int throttle;

    @Option(names = "--image", paramLabel = "IMAGE", description = "Kubernetes: the worker image. Default: moe-frontier:latest.")
    String image;

    @Option(names = "--volume-claim", paramLabel = "PVC", description = "Kubernetes: the claim holding DIR. Default: moe-frontier-work.")
    String volumeClaim;

    @Option(names = "--no-check", description = "Do not check the scripts with 'sbatch --test-only'.")
    boolean noCheck;

    @Option(names = "--estimate", description = "Print the FLOPs and hours of each phase (see the options below).")
    boolean estimate;

    @Option(names = "--accelerator", defaultValue = "h100", paramLabel = "NAME",
            description = "Accelerator class of the estimate: h100, h200, b200, a100, l40s, a10g, mi300x. Default: ${DEFAULT-VALUE}.")
    String accelerator;

    @Option(names = "--accelerator-efficiency", defaultValue = "0.35", paramLabel = "F",
            description = "Achieved fraction of the accelerator's dense BF16 peak. Default: ${DEFAULT-VALUE}.")
    double acceleratorEfficiency;

    @Option(names = "--cpu-efficiency", defaultValue = "0.5", paramLabel = "F",
            description = "Achieved fraction of this machine's measured matmul throughput. Default: ${DEFAULT-VALUE}.")
    double cpuEfficiency;

    @Option(names = "--task-overhead", defaultValue = "3", paramLabel = "S",
            description = "Seconds of start-up per task (JVM, checkpoint index, calibration data). Default: ${DEFAULT-VALUE}.")
    double taskOverhead;

    @Option(names = "--read-gbps", defaultValue = "1.0", paramLabel = "R",
            description = "Checkpoint read speed per task, GB/s. Default: ${DEFAULT-VALUE}.")
    double readGbps;

    @Mixin
    RuntimeOptions runtime;

    @Override
    public Integer call() throws Exception {
        if (out == null && !estimate) {
            throw new Main.UserError("--out DIR is required (or --estimate alone)");
        }
        if (throttle < 0) {
            throw new Main.UserError("--throttle must be 0 (no limit) or positive");
        }
        if (gpus != null && gres != null) {
            throw new Main.UserError("give --gpus or --gres, not both");
        }
        if (gpus != null && gpus < 0) {
            throw new Main.UserError("--gpus must be 0 or positive");
        }
        SweepPlan plan = SweepValidator.validate(SweepSpec.load(spec));
        ClusterPlan tasks;
        Schedulers.Resources resources;
        try {
            tasks = ClusterPlan.of(plan, layersPerTask, cellsPerTask);
            resources = new Schedulers.Resources(jobName, partition, account, qos, time, cpus, mem,
                    gres != null ? gres : gpus != null && gpus > 0 ? "gpu:" + gpus : null, extra, throttle, image, volumeClaim);
        } catch (IllegalArgumentException e) {
            throw new Main.UserError(e.getMessage());
        }
        if (estimate) {
            var costs = PlanEstimate.costs(plan, tasks, runtime::open);
            System.out.print(PlanEstimate.render(plan.spec().name(), costs, new PlanEstimate.Assumptions(accelerator, acceleratorEfficiency,
                    cpuEfficiency, taskOverhead, readGbps, throttle > 0 ? throttle : Integer.MAX_VALUE), PlanEstimate.measureCpu()));
            if (out == null) {
                return 0;
            }
        }
        plan.write(out);
        tasks.write(out);
        SweepRunner.prepare(plan, out.resolve("run"), true, false, System.err::println);
        Path cacheDir = cache != null ? cache : out.resolve("cache");
        Files.createDirectories(cacheDir);
        List<Path> files = Schedulers.write(out, plan.spec().name(), tasks, resources, frontier != null ? frontier : defaultFrontier(),
                cacheDir, runtime.asArguments());
        System.out.printf("planned %s: %d backbones, %d cells -> %s%n", plan.spec().name(), plan.groups().size(), plan.cellCount(), out);
        for (ClusterPlan.Phase p : ClusterPlan.Phase.values()) {
            if (!tasks.tasks(p).isEmpty()) {
                System.out.printf("  phase %-6s %4d task(s)%n", p.id(), tasks.tasks(p).size());
            }
        }
        if (!noCheck) {
            check(out, tasks, files);
        }
        Path abs = out.toAbsolutePath().normalize();
        System.out.println("SLURM:      bash " + abs.resolve("submit.sh") + "   (prints the job ids; the final job's last)");
        System.out.println("Kubernetes: bash " + abs.resolve("k8s/apply.sh"));
        System.out.println("by hand:    frontier task --plan " + abs + " --phase PHASE --index I   (see tasks.json)");
        System.out.println("results:    " + abs.resolve("run") + " (collected by the finish task; 'frontier collect' any time)");
        return 0;
    }

    /** This checkout's launcher when run through it, else this JVM's java and class path. */
    static String defaultFrontier() {
        String launcher = System.getProperty("frontier.launcher");
        if (launcher != null && Files.isExecutable(Path.of(launcher))) {
            return Schedulers.shellQuote(Path.of(launcher).toAbsolutePath().normalize().toString());
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return Schedulers.shellQuote(java) + " -cp " + Schedulers.shellQuote(System.getProperty("java.class.path")) + " "
                + Main.class.getName();
    }

    /** bash -n on the shell scripts; sbatch --test-only on the SLURM scripts when a controller answers. */
    static void check(Path out, ClusterPlan tasks, List<Path> files) throws IOException, InterruptedException {
        for (Path f : files) {
            String n = f.getFileName().toString();
            if (n.endsWith(".sh") || n.endsWith(".sbatch")) {
                Result r = exec(List.of("bash", "-n", f.toString()));
                if (r.status() != 0) {
                    throw new IllegalStateException(f + ": not a valid bash script: " + r.output().strip());
                }
            }
        }
        if (!onPath("sbatch")) {
            System.out.println("check:      bash -n passed; sbatch not on PATH, so the SLURM scripts were not checked with a scheduler");
            return;
        }
        Result ping = exec(List.of("scontrol", "ping"));
        if (ping.status() != 0 || !ping.output().contains("UP")) {
            System.out.println("check:      bash -n passed; no SLURM controller answers 'scontrol ping', so sbatch --test-only was not run");
            return;
        }
        for (ClusterPlan.Phase p : ClusterPlan.Phase.values()) {
            if (tasks.tasks(p).isEmpty()) {
                continue;
            }
            Path script = Schedulers.slurmScript(out.toAbsolutePath().normalize(), tasks, p);
            Result r = exec(List.of("sbatch", "--test-only", script.toString()));
            if (r.status() != 0) {
                throw new Main.UserError(script + ": sbatch --test-only refused it: " + r.output().strip().replace('\n', ' '));
            }
        }
        System.out.println("check:      sbatch --test-only accepted every SLURM script");
    }

    record Result(int status, String output) {}

    private static Result exec(List<String> cmd) throws IOException, InterruptedException {
        Path log = Files.createTempFile("frontier-plan-check", ".log");
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(124, String.join(" ", cmd) + ": no answer within 60 s");
            }
            return new Result(p.exitValue(), Files.readString(log));
        } finally {
            Files.deleteIfExists(log);
        }
    }

    private static boolean onPath(String exe) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String d : path.split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(d, exe))) {
                return true;
            }
        }
        return false;
    }
}
