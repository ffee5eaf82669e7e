package dev.moefrontier.harness.runtime;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.util.Locale;

/** DJL engine set-up: offline mode, thread counts, device names. Call {@link #offline()} before any DJL use. */
public final class Engines {
    private Engines() {}

    /**
     * Keeps DJL off the network: no start-up telemetry and no downloads (the PyTorch natives come from the pinned
     * Maven jar). Explicit user settings are left alone.
     */
    public static void offline() {
        if (System.getenv("DJL_OFFLINE") == null && System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        if (System.getenv("OPT_OUT_TRACKING") == null && System.getProperty("OPT_OUT_TRACKING") == null) {
            System.setProperty("OPT_OUT_TRACKING", "true");
        }
    }

    /**
     * Sets PyTorch's intra-op and inter-op thread counts; effective only before the engine starts. The reproducible
     * numerics fix the intra-op count ({@link Numerics#THREADS}): another count is refused there.
     */
    public static void threads(Integer intraOp, Integer interOp) {
        if (intraOp != null && intraOp < 1) {
            throw new IllegalArgumentException("invalid --threads " + intraOp + " (at least 1)");
        }
        if (interOp != null && interOp < 1) {
            throw new IllegalArgumentException("invalid inter-op threads " + interOp + " (at least 1)");
        }
        if (intraOp != null && intraOp != Numerics.THREADS && Numerics.mode() == Numerics.Mode.REPRODUCIBLE) {
            throw new IllegalArgumentException("--threads " + intraOp + ": reproducible numerics run libtorch with " + Numerics.THREADS
                    + " intra-op threads on every machine; add --numerics fast to choose the thread count");
        }
        if (intraOp != null) {
            System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(intraOp));
        }
        if (interOp != null) {
            System.setProperty("ai.djl.pytorch.num_interop_threads", Integer.toString(interOp));
        }
    }

    /**
     * The PyTorch engine, started (once) in the numerics mode of {@link Numerics}: the mode is applied before libtorch
     * loads and verified after. Every engine start of the harness goes through here.
     */
    public static Engine pytorch() {
        offline();
        Numerics.applyBeforeEngineStart();
        Engine e = Engine.getEngine("PyTorch");
        Numerics.verify();
        return e;
    }

    /** A base NDManager on {@code device}, with the engine started through {@link #pytorch()}. */
    public static ai.djl.ndarray.NDManager manager(Device device) {
        return ai.djl.ndarray.NDManager.newBaseManager(device, pytorch().getEngineName());
    }

    /**
     * Parses {@code cpu}, {@code gpu}, {@code gpu:N} or {@code auto} (the first GPU when there is one, else CPU).
     */
    public static Device device(String spec) {
        String s = spec == null ? "auto" : spec.trim().toLowerCase(Locale.ROOT);
        Engine e = pytorch();
        switch (s) {
            case "auto":
                return e.getGpuCount() > 0 ? Device.gpu(0) : Device.cpu();
            case "cpu":
                return Device.cpu();
            case "gpu":
            case "cuda":
                s = "gpu:0";
                break;
            default:
                break;
        }
        if (s.startsWith("gpu:") || s.startsWith("cuda:")) {
            int id;
            try {
                id = Integer.parseInt(s.substring(s.indexOf(':') + 1));
            } catch (NumberFormatException ex) {
                throw new IllegalArgumentException("invalid device '" + spec + "' (use cpu, gpu, gpu:N or auto)");
            }
            if (id >= e.getGpuCount()) {
                throw new IllegalArgumentException("device '" + spec + "' requested but " + e.getGpuCount()
                        + " GPU(s) are visible to PyTorch " + e.getVersion());
            }
            return Device.gpu(id);
        }
        throw new IllegalArgumentException("invalid device '" + spec + "' (use cpu, gpu, gpu:N or auto)");
    }
}
