package dev.moefrontier.harness.sweep;

import dev.moefrontier.harness.util.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Job files for existing schedulers: a SLURM array ({@code sbatch --array=0-(N-1)%K}) and a Kubernetes Indexed Job,
 * each task running {@code frontier run-cell --plan DIR --index i} on one cell group. Workers write into the same run
 * folder; collect with {@code frontier collect DIR/run} when all are done.
 */
public final class Schedulers {
    private Schedulers() {}

    public static void write(Path planDir, int groups, int parallel, String frontier) throws IOException {
        Path abs = planDir.toAbsolutePath();
        String slurm = "#!/bin/bash\n"
                + "# One array task per cell group (a backbone: loaded and calibrated once). Submit with: sbatch " + abs.resolve("slurm.sbatch") + "\n"
                + "#SBATCH --job-name=moe-frontier\n"
                + "#SBATCH --array=0-" + (groups - 1) + "%" + parallel + "\n"
                + "#SBATCH --output=" + abs.resolve("logs") + "/%A_%a.out\n"
                + "#SBATCH --gres=gpu:1\n"
                + "#SBATCH --cpus-per-task=8\n"
                + "#SBATCH --mem=64G\n"
                + "#SBATCH --time=24:00:00\n"
                + "set -euo pipefail\n"
                + "export DJL_OFFLINE=true OPT_OUT_TRACKING=true\n"
                + frontier + " run-cell --plan " + abs + " --index \"$SLURM_ARRAY_TASK_ID\" --resume\n";
        AtomicFiles.writeString(planDir.resolve("slurm.sbatch"), slurm);
        String k8s = "# Kubernetes Indexed Job: one pod per cell group. The plan folder must be mounted at the same path\n"
                + "# (" + abs + ") in every pod, e.g. from a shared volume. Apply with: kubectl apply -f job.yaml\n"
                + "apiVersion: batch/v1\n"
                + "kind: Job\n"
                + "metadata:\n"
                + "  name: moe-frontier\n"
                + "spec:\n"
                + "  completionMode: Indexed\n"
                + "  completions: " + groups + "\n"
                + "  parallelism: " + parallel + "\n"
                + "  backoffLimit: 3\n"
                + "  template:\n"
                + "    spec:\n"
                + "      restartPolicy: Never\n"
                + "      containers:\n"
                + "        - name: worker\n"
                + "          image: moe-frontier:latest  # an image with Java 17 and this repository built\n"
                + "          env:\n"
                + "            - {name: DJL_OFFLINE, value: \"true\"}\n"
                + "            - {name: OPT_OUT_TRACKING, value: \"true\"}\n"
                + "          command: [\"/bin/sh\", \"-c\"]\n"
                + "          args: [\"" + frontier + " run-cell --plan " + abs + " --index $JOB_COMPLETION_INDEX --resume\"]\n"
                + "          resources:\n"
                + "            limits: {nvidia.com/gpu: 1, memory: 64Gi}\n"
                + "          volumeMounts:\n"
                + "            - {name: work, mountPath: " + abs + "}\n"
                + "      volumes:\n"
                + "        - name: work\n"
                + "          persistentVolumeClaim: {claimName: moe-frontier-work}\n";
        AtomicFiles.writeString(planDir.resolve("job.yaml"), k8s);
    }
}
