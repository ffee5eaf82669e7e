package dev.moefrontier.harness.sweep;

import dev.moefrontier.harness.util.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Job files of a {@link ClusterPlan} for existing schedulers. SLURM: one array job per phase ({@code slurm/}) and
 * {@code submit.sh}, which submits them with {@code --dependency=afterok} between phases (the finishing job {@code
 * afterany}, so that it always reports) and prints the job ids, the final job's last. Kubernetes: one Indexed Job per
 * phase ({@code k8s/}) and {@code k8s/apply.sh}, which applies them in order, waiting for each to complete. Every task
 * runs {@code frontier task --plan DIR --phase P --index I}; all share the plan folder, its run folder and its cache.
 */
public final class Schedulers {
    private Schedulers() {}

    /**
     * What each task asks the scheduler for. Null or empty fields are left to the scheduler's defaults (a plain CPU
     * partition runs the plan as written).
     *
     * @param jobName job name prefix
     * @param partition {@code --partition}
     * @param account {@code --account}
     * @param qos {@code --qos}
     * @param time {@code --time} per task (SLURM syntax, e.g. 04:00:00)
     * @param cpus {@code --cpus-per-task}
     * @param mem {@code --mem} per task (e.g. 64G)
     * @param gres {@code --gres} (e.g. gpu:1); none for CPU-only
     * @param extra raw {@code #SBATCH} lines (without the prefix)
     * @param throttle array tasks running at once ({@code %K}); 0 = no limit
     * @param image the container image (Kubernetes)
     * @param volumeClaim the persistent volume claim holding the plan folder (Kubernetes)
     */
    public record Resources(String jobName, String partition, String account, String qos, String time, Integer cpus, String mem,
            String gres, List<String> extra, int throttle, String image, String volumeClaim) {
        public Resources {
            extra = extra == null ? List.of() : List.copyOf(extra);
            if (throttle < 0) {
                throw new IllegalArgumentException("--throttle must be 0 (no limit) or positive, got " + throttle);
            }
            if (mem != null) {
                kubernetesMemory(mem); // refuses what neither scheduler would read
            }
            if (cpus != null && cpus < 1) {
                throw new IllegalArgumentException("--cpus must be positive, got " + cpus);
            }
            for (String e : extra) {
                if (e.contains("\n")) {
                    throw new IllegalArgumentException("--sbatch line must be one line: " + e);
                }
            }
            // Each value becomes one #SBATCH line: a line break or a space would end it early or add another.
            String[][] named = {{"--job-name", jobName}, {"--partition", partition}, {"--account", account}, {"--qos", qos},
                {"--time", time}, {"--mem", mem}, {"--gres", gres}, {"--image", image}, {"--volume-claim", volumeClaim}};
            for (String[] n : named) {
                if (n[1] != null && !n[1].matches("[A-Za-z0-9_.,:=@%+/-]+")) {
                    throw new IllegalArgumentException(n[0] + " '" + n[1] + "': only letters, digits and _.,:=@%+/- are allowed");
                }
            }
        }

        /** The {@code #SBATCH} resource lines. */
        List<String> sbatchLines() {
            List<String> out = new ArrayList<>();
            opt(out, "partition", partition);
            opt(out, "account", account);
            opt(out, "qos", qos);
            opt(out, "time", time);
            opt(out, "cpus-per-task", cpus == null ? null : cpus.toString());
            opt(out, "mem", mem);
            opt(out, "gres", gres);
            for (String e : extra) {
                out.add("#SBATCH " + (e.startsWith("#SBATCH") ? e.substring(7).trim() : e.trim()));
            }
            return out;
        }

        private static void opt(List<String> out, String name, String v) {
            if (v != null && !v.isBlank()) {
                out.add("#SBATCH --" + name + "=" + v.trim());
            }
        }
    }

    /** What each phase does, for the scripts' comments. */
    static String describe(ClusterPlan.Phase p) {
        return switch (p) {
            case STATS -> "per backbone, the calibration statistics shared by all layers (one streamed pass) into the cache";
            case LAYERS -> "per backbone and MoE layer range, the per-layer statistics (merge barriers) into the cache";
            case CELLS -> "per chunk of cells, plan, evaluate and write the cells into the run folder";
            case FINISH -> "the backbones' analyses, then collect the run folder (fails when a cell failed or is missing)";
        };
    }

    /** The phases that have tasks, in order. */
    static List<ClusterPlan.Phase> phases(ClusterPlan tasks) {
        List<ClusterPlan.Phase> out = new ArrayList<>();
        for (ClusterPlan.Phase p : ClusterPlan.Phase.values()) {
            if (!tasks.tasks(p).isEmpty()) {
                out.add(p);
            }
        }
        return out;
    }

    /** The SLURM script of a phase: {@code slurm/<n>-<phase>.sbatch}. */
    public static Path slurmScript(Path planDir, ClusterPlan tasks, ClusterPlan.Phase p) {
        return planDir.resolve("slurm").resolve((phases(tasks).indexOf(p) + 1) + "-" + p.id() + ".sbatch");
    }

    /** Writes {@code slurm/}, {@code submit.sh}, {@code k8s/} and {@code logs/}; returns the files written. */
    public static List<Path> write(Path planDir, String planName, ClusterPlan tasks, Resources r, String frontier, Path cache,
            String runtimeArgs) throws IOException {
        Path abs = planDir.toAbsolutePath().normalize();
        Files.createDirectories(abs.resolve("logs"));
        Files.createDirectories(abs.resolve("slurm"));
        Files.createDirectories(abs.resolve("k8s"));
        List<Path> written = new ArrayList<>();
        List<ClusterPlan.Phase> phases = phases(tasks);
        String job = r.jobName() != null ? r.jobName() : "mf-" + planName;
        StringBuilder submit = new StringBuilder();
        submit.append("#!/usr/bin/env bash\n")
                .append("# Submits plan '").append(planName).append("' to SLURM: one array job per phase, each after the one before\n")
                .append("# (--dependency=afterok; the finishing job afterany, so that it always runs and reports). Prints one line\n")
                .append("# per job; the last line is the final job's id alone. Run again after a failure: finished work is kept.\n")
                .append("set -euo pipefail\n")
                .append("mkdir -p ").append(shellQuote(abs.resolve("logs").toString())).append('\n')
                .append("submit() { local out; out=$(sbatch --parsable \"$@\") || { echo \"submit.sh: sbatch $* failed\" >&2; exit 1; }; echo \"${out%%;*}\"; }\n");
        String prev = null;
        for (ClusterPlan.Phase p : phases) {
            int n = tasks.tasks(p).size();
            Path script = slurmScript(abs, tasks, p);
            StringBuilder s = new StringBuilder();
            s.append("#!/bin/bash\n")
                    .append("# Plan '").append(planName).append("', phase ").append(p.id()).append(": ").append(describe(p)).append(".\n")
                    .append("# ").append(n).append(" task(s). Submitted by ").append(abs.resolve("submit.sh"))
                    .append(", which adds the dependency on the phase before.\n")
                    .append("#SBATCH --job-name=").append(job).append('-').append(p.id()).append('\n');
            if (p != ClusterPlan.Phase.FINISH) {
                s.append("#SBATCH --array=0-").append(n - 1).append(r.throttle() > 0 ? "%" + r.throttle() : "").append('\n');
            }
            s.append("#SBATCH --output=").append(abs.resolve("logs")).append('/').append(p.id())
                    .append(p == ClusterPlan.Phase.FINISH ? "-%j.out" : "-%A_%a.out").append('\n')
                    .append("#SBATCH --open-mode=append\n")
                    .append("#SBATCH --requeue\n");
            r.sbatchLines().forEach(l -> s.append(l).append('\n'));
            s.append("set -euo pipefail\n")
                    .append("export DJL_OFFLINE=true OPT_OUT_TRACKING=true\n")
                    .append("export FRONTIER_NO_BUILD=1  # workers use the checkout as built when planned; they never rebuild it\n")
                    .append("exec ").append(frontier).append(" task --plan ").append(shellQuote(abs.toString())).append(" --phase ").append(p.id())
                    .append(" --index \"${SLURM_ARRAY_TASK_ID:-0}\" --cache ").append(shellQuote(cache.toAbsolutePath().normalize().toString()))
                    .append(' ').append(runtimeArgs).append('\n');
            write(script, s.toString(), written);
            String var = p.id();
            submit.append(var).append("=$(submit ");
            if (prev != null) {
                submit.append(p == ClusterPlan.Phase.FINISH ? "--dependency=afterany:$" + prev : "--dependency=afterok:$" + prev
                        + " --kill-on-invalid-dep=yes").append(' ');
            }
            submit.append(shellQuote(script.toString())).append(")\n");
            submit.append("echo \"phase ").append(p.id()).append(": job $").append(var).append(" (").append(n).append(" task")
                    .append(n == 1 ? "" : "s").append(")\"\n");
            prev = var;
        }
        submit.append("echo logs: ").append(shellQuote(abs.resolve("logs").toString())).append("\\; results: ")
                .append(shellQuote(abs.resolve("run").toString())).append('\n')
                .append("echo \"$").append(prev).append("\"\n");
        write(abs.resolve("submit.sh"), submit.toString(), written);
        written.addAll(kubernetes(abs, planName, tasks, r, frontier, cache, runtimeArgs));
        return written;
    }

    /** One Indexed Job per phase and {@code k8s/apply.sh}, which applies them in order. */
    private static List<Path> kubernetes(Path abs, String planName, ClusterPlan tasks, Resources r, String frontier, Path cache,
            String runtimeArgs) throws IOException {
        List<Path> written = new ArrayList<>();
        String base = dnsName(r.jobName() != null ? r.jobName() : "mf-" + planName);
        StringBuilder apply = new StringBuilder();
        apply.append("#!/usr/bin/env bash\n")
                .append("# Runs plan '").append(planName).append("' on Kubernetes: applies each phase's Indexed Job and waits for it to\n")
                .append("# complete before the next (Kubernetes has no job dependencies); the finishing job runs even when a cell\n")
                .append("# task failed. The plan folder must be on the volume claim, mounted at the same path in every pod.\n")
                .append("set -euo pipefail\n")
                .append("cd \"$(dirname \"$0\")\"\n")
                .append("wait_job() { # name -> 0 complete, 1 failed\n")
                .append("  while true; do\n")
                .append("    s=$(kubectl get job \"$1\" -o jsonpath='{range .status.conditions[?(@.status==\"True\")]}{.type} {end}')\n")
                .append("    case \"$s\" in *Complete*) return 0;; *Failed*) return 1;; esac\n")
                .append("    sleep 10\n")
                .append("  done\n")
                .append("}\n");
        List<ClusterPlan.Phase> phases = phases(tasks);
        for (int i = 0; i < phases.size(); i++) {
            ClusterPlan.Phase p = phases.get(i);
            int n = tasks.tasks(p).size();
            String name = base + "-" + p.id();
            Path file = abs.resolve("k8s").resolve((i + 1) + "-" + p.id() + ".yaml");
            StringBuilder y = new StringBuilder();
            y.append("# Plan '").append(planName).append("', phase ").append(p.id()).append(": ").append(describe(p)).append(".\n")
                    .append("# Apply after the phase before has completed (k8s/apply.sh does).\n")
                    .append("apiVersion: batch/v1\n")
                    .append("kind: Job\n")
                    .append("metadata:\n")
                    .append("  name: ").append(name).append('\n')
                    .append("spec:\n")
                    .append("  completionMode: Indexed\n")
                    .append("  completions: ").append(n).append('\n')
                    .append("  parallelism: ").append(r.throttle() > 0 ? Math.min(n, r.throttle()) : n).append('\n')
                    .append("  backoffLimitPerIndex: 3  # a failed or evicted pod is retried; finished work is kept\n")
                    .append("  template:\n")
                    .append("    spec:\n")
                    .append("      restartPolicy: Never\n")
                    .append("      containers:\n")
                    .append("        - name: worker\n")
                    .append("          image: ").append(r.image() != null ? r.image() : "moe-frontier:latest")
                    .append("  # Java 17 and this checkout, built, at the same path\n")
                    .append("          env:\n")
                    .append("            - {name: DJL_OFFLINE, value: \"true\"}\n")
                    .append("            - {name: OPT_OUT_TRACKING, value: \"true\"}\n")
                    .append("            - {name: FRONTIER_NO_BUILD, value: \"1\"}\n")
                    .append("          command: [\"/bin/sh\", \"-c\"]\n")
                    .append("          args: [").append(yamlString(frontier + " task --plan " + shellQuote(abs.toString()) + " --phase " + p.id()
                            + " --index $JOB_COMPLETION_INDEX --cache " + shellQuote(cache.toAbsolutePath().normalize().toString()) + " "
                            + runtimeArgs)).append("]\n");
            List<String> limits = new ArrayList<>();
            if (r.cpus() != null) {
                limits.add("cpu: " + r.cpus());
            }
            if (r.mem() != null) {
                limits.add("memory: " + kubernetesMemory(r.mem()));
            }
            if (r.gres() != null && r.gres().startsWith("gpu")) {
                String[] g = r.gres().split(":");
                limits.add("nvidia.com/gpu: " + (g.length > 1 ? g[g.length - 1] : "1"));
            }
            if (!limits.isEmpty()) {
                y.append("          resources:\n            limits: {").append(String.join(", ", limits)).append("}\n");
            }
            y.append("          volumeMounts:\n")
                    .append("            - {name: work, mountPath: ").append(abs).append("}\n")
                    .append("      volumes:\n")
                    .append("        - name: work\n")
                    .append("          persistentVolumeClaim: {claimName: ").append(r.volumeClaim() != null ? r.volumeClaim() : "moe-frontier-work")
                    .append("}\n");
            write(file, y.toString(), written);
            // A finished Job of an earlier run would answer wait_job at once: replace it (its work is kept in the folder).
            apply.append("kubectl delete job ").append(name).append(" --ignore-not-found --wait\n");
            apply.append("kubectl apply -f ").append(file.getFileName()).append('\n');
            if (p == ClusterPlan.Phase.CELLS) {
                apply.append("wait_job ").append(name).append(" || echo \"phase cells: some tasks failed; finishing anyway\" >&2\n");
            } else if (p == ClusterPlan.Phase.FINISH) {
                apply.append("wait_job ").append(name).append(" || { echo \"phase finish failed: kubectl logs job/").append(name)
                        .append("\" >&2; exit 1; }\n");
            } else {
                apply.append("wait_job ").append(name).append(" || { echo \"phase ").append(p.id()).append(" failed: kubectl logs job/")
                        .append(name).append("\" >&2; exit 1; }\n");
            }
        }
        apply.append("echo done: results in ").append(shellQuote(abs.resolve("run").toString())).append('\n');
        write(abs.resolve("k8s").resolve("apply.sh"), apply.toString(), written);
        return written;
    }

    /** SLURM's memory (a number with an optional K, M, G or T suffix; a bare number is megabytes) as a Kubernetes quantity. */
    static String kubernetesMemory(String mem) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)(\\d+)([KMGT])?B?").matcher(mem.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("--mem '" + mem + "': expected a number with an optional K, M, G or T suffix");
        }
        return m.group(1) + (m.group(2) == null ? "M" : m.group(2).toUpperCase(Locale.ROOT)) + "i";
    }

    /** A Kubernetes object name: lower case letters, digits and '-', at most 52 characters (leaves room for a suffix). */
    static String dnsName(String s) {
        String n = s.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]+", "-").replaceAll("^-+|-+$", "");
        return n.length() > 52 ? n.substring(0, 52).replaceAll("-+$", "") : n;
    }

    /** Single-quoted for a shell when it needs quoting. */
    public static String shellQuote(String s) {
        return s.matches("[A-Za-z0-9_./:=@%+-]+") ? s : "'" + s.replace("'", "'\\''") + "'";
    }

    private static String yamlString(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private static void write(Path f, String s, List<Path> written) throws IOException {
        AtomicFiles.writeString(f, s);
        if (f.getFileName().toString().endsWith(".sh") || f.getFileName().toString().endsWith(".sbatch")) {
            try {
                Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwxr-xr-x"));
            } catch (UnsupportedOperationException e) {
                // not a POSIX file system: run the scripts with bash
            }
        }
        written.add(f);
    }
}
