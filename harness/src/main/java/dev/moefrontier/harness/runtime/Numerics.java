package dev.moefrontier.harness.runtime;

import com.sun.jna.Function;
import com.sun.jna.Memory;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The numeric mode libtorch runs in. PyTorch's CPU results depend on the machine: ATen dispatches its vectorized
 * kernels by the CPU's instruction set, MKL picks its GEMM kernels by CPU model and vendor, and reductions split by the
 * thread count. A few float32 ulps are enough to flip a near-tied decision (methods.md §10), so reference runs pin all
 * three (the {@link Mode#REPRODUCIBLE} mode, the default):
 * <ul>
 *   <li>{@code ATEN_CPU_CAPABILITY=avx2}: ATen's AVX2 kernels, the same instructions on every x86-64-v3 CPU;</li>
 *   <li>{@code MKL_CBWR=COMPATIBLE,STRICT}: MKL's conditional-numerical-reproducibility branch that Intel documents as
 *       identical on Intel and non-Intel CPUs and independent of array alignment (its AVX2 branch falls back to the
 *       vendor's automatic dispatch on AMD CPUs, as {@code mkl_cbwr_get} shows there);</li>
 *   <li>{@value #THREADS} intra-op threads on any machine, MKL's dynamic threading off;</li>
 *   <li>oneDNN capped at AVX2 with strict float math (no implicit bf16 on AMX machines), and ATen's deterministic
 *       algorithms on.</li>
 * </ul>
 * {@link Mode#FAST} leaves libtorch as the machine and the environment configure it. The mode is chosen by
 * {@code --numerics}, the system property {@code frontier.numerics} or the environment variable
 * {@code FRONTIER_NUMERICS}, and applied through {@code setenv} before libtorch loads (the variables are read when the
 * first kernel runs), so it holds for the launcher and for programmatic use alike; {@link #verify()} reads back what
 * libtorch actually uses and refuses a reproducible run whose engine was started unpinned.
 */
public final class Numerics {
    /** How libtorch's CPU numerics are configured. */
    public enum Mode {
        /** Pinned kernels, BLAS branch and threads: the same bits on every x86-64 CPU with AVX2 (the default). */
        REPRODUCIBLE,
        /** Whatever the machine and environment select: fastest, machine-dependent in the last bits. */
        FAST;

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** Parses {@code reproducible} or {@code fast}. */
        public static Mode parse(String s, String source) {
            String v = s.trim().toLowerCase(Locale.ROOT);
            return switch (v) {
                case "reproducible", "pinned" -> REPRODUCIBLE;
                case "fast" -> FAST;
                default -> throw new IllegalArgumentException(source + ": invalid numerics mode '" + s + "' (reproducible or fast)");
            };
        }
    }

    /** Intra-op threads of the reproducible mode: results depend on how reductions and vector tails are split. */
    public static final int THREADS = 2;

    /** The variables the reproducible mode sets (in this order, before libtorch loads). */
    static final Map<String, String> PINNED = pinned();

    private static Map<String, String> pinned() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("ATEN_CPU_CAPABILITY", "avx2");
        m.put("MKL_CBWR", "COMPATIBLE,STRICT");
        m.put("MKL_DYNAMIC", "FALSE");
        m.put("MKL_NUM_THREADS", Integer.toString(THREADS));
        m.put("OMP_NUM_THREADS", Integer.toString(THREADS));
        m.put("ONEDNN_MAX_CPU_ISA", "AVX2");
        m.put("ONEDNN_DEFAULT_FPMATH_MODE", "STRICT");
        return m;
    }

    /** MKL's {@code MKL_CBWR_COMPATIBLE} branch code and strict flag ({@code mkl_cbwr_get(MKL_CBWR_ALL)}). */
    private static final int MKL_CBWR_COMPATIBLE = 3;
    private static final int MKL_CBWR_STRICT = 0x10000;

    private static volatile Mode requested;
    private static volatile Mode applied;
    private static volatile Map<String, String> overridden = Map.of();
    private static volatile NumericEnvironment environment;

    private Numerics() {}

    /** Requests a mode (the CLI's {@code --numerics}); must come before the engine starts. */
    public static synchronized void request(Mode mode) {
        if (applied != null && applied != mode) {
            throw new NumericsException("numerics mode " + mode.id() + " requested after libtorch started in " + applied.id()
                    + " mode (the mode is fixed for the life of the process)");
        }
        requested = mode;
    }

    /** The mode in force (or to be applied): --numerics, else -Dfrontier.numerics, else $FRONTIER_NUMERICS, else reproducible. */
    public static Mode mode() {
        Mode a = applied;
        if (a != null) {
            return a;
        }
        Mode r = requested;
        if (r != null) {
            return r;
        }
        String p = System.getProperty("frontier.numerics");
        if (p != null && !p.isBlank()) {
            return Mode.parse(p, "-Dfrontier.numerics");
        }
        String e = System.getenv("FRONTIER_NUMERICS");
        if (e != null && !e.isBlank()) {
            return Mode.parse(e, "FRONTIER_NUMERICS");
        }
        return Mode.REPRODUCIBLE;
    }

    /**
     * Configures the process for the mode before libtorch loads: environment variables through libc's setenv and DJL's
     * thread properties. Idempotent; a no-op after the first call.
     */
    static synchronized void applyBeforeEngineStart() {
        if (applied != null) {
            return;
        }
        Mode m = mode();
        if (m == Mode.REPRODUCIBLE) {
            CpuInfo cpu = CpuInfo.read();
            if (cpu.known() && !(cpu.has("avx2") && cpu.has("fma"))) {
                throw new NumericsException("reproducible numerics need a CPU with AVX2 and FMA (x86-64-v3); " + cpu.model()
                        + " has neither: run with --numerics fast (results then differ from the references in the last bits)");
            }
            Map<String, String> over = new LinkedHashMap<>();
            NativeLibrary libc = NativeLibrary.getInstance("c");
            Function getenv = libc.getFunction("getenv");
            Function setenv = libc.getFunction("setenv");
            for (Map.Entry<String, String> v : PINNED.entrySet()) {
                Pointer old = (Pointer) getenv.invoke(Pointer.class, new Object[] {v.getKey()});
                if (old != null && !old.getString(0).equals(v.getValue())) {
                    over.put(v.getKey(), old.getString(0));
                }
                if (setenv.invokeInt(new Object[] {v.getKey(), v.getValue(), 1}) != 0) {
                    throw new NumericsException("cannot set " + v.getKey() + " for reproducible numerics");
                }
            }
            Integer t = Integer.getInteger("ai.djl.pytorch.num_threads");
            if (t != null && t != THREADS) {
                over.put("ai.djl.pytorch.num_threads", t.toString());
            }
            System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(THREADS));
            overridden = Map.copyOf(over);
        }
        applied = m;
    }

    /** The variables and properties the reproducible mode replaced, with the values they had. */
    public static Map<String, String> overridden() {
        return overridden;
    }

    /**
     * Reads back, once the engine runs, what libtorch uses, and in the reproducible mode refuses an engine that was
     * started before the pin (or with other settings). Called by {@link Engines#pytorch()}.
     */
    static synchronized NumericEnvironment verify() {
        NumericEnvironment env = environment;
        if (env != null) {
            return env;
        }
        if (applied == null) {
            applyBeforeEngineStart(); // the engine was started by someone else: record what it runs with
        }
        env = NumericEnvironment.probe(applied, overridden);
        if (applied == Mode.REPRODUCIBLE) {
            List<String> wrong = new ArrayList<>();
            if (env.atenCapability() != null && !env.atenCapability().equals("AVX2")) {
                wrong.add("ATen CPU capability " + env.atenCapability() + " (expected AVX2)");
            }
            if (env.mklBranchCode() != null && env.mklBranchCode() != (MKL_CBWR_COMPATIBLE | MKL_CBWR_STRICT)) {
                wrong.add("MKL CBWR " + env.mklBranch() + " (expected COMPATIBLE,STRICT)");
            }
            if (env.intraOpThreads() != THREADS) {
                wrong.add(env.intraOpThreads() + " intra-op threads (expected " + THREADS + ")");
            }
            if (!wrong.isEmpty()) {
                throw new NumericsException("reproducible numerics are not in force: " + String.join(", ", wrong)
                        + "; libtorch was started before they were applied (start it through Engines.pytorch()) or run with"
                        + " --numerics fast");
            }
        }
        environment = env;
        return env;
    }

    /** The numeric environment in force (starts the engine if needed). */
    public static NumericEnvironment environment() {
        Engines.pytorch();
        return verify();
    }

    /**
     * A short key of everything that makes cached model outputs machine- or mode-specific: the mode, and in the fast
     * mode the kernels and threads actually in use. Caches of statistics, barriers and responses include it.
     */
    public static String cacheKey() {
        return environment().cacheKey();
    }

    // ---- libtorch introspection through its C++ symbols (libtorch 2.7.1, pinned in the pom) ----

    /** The loaded libtorch_cpu, found in this process's memory map. */
    static NativeLibrary libtorch() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/maps"), StandardCharsets.UTF_8)) {
                int i = line.indexOf('/');
                if (i >= 0 && line.endsWith("libtorch_cpu.so")) {
                    return NativeLibrary.getInstance(line.substring(i));
                }
            }
        } catch (IOException | UnsatisfiedLinkError e) {
            return null;
        }
        return null;
    }

    /** Calls a C++ function returning std::string (Itanium ABI: hidden result pointer; a 32-byte std::string). */
    static String cxxString(NativeLibrary lib, String symbol) {
        try {
            Function f = lib.getFunction(symbol);
            Memory out = new Memory(32);
            f.invoke(void.class, new Object[] {out});
            Pointer data = out.getPointer(0);
            long len = out.getLong(8);
            // A string of 16 bytes or more lives on the heap and is left there: a few bytes, once per process.
            return new String(data.getByteArray(0, (int) Math.min(len, 1 << 20)), StandardCharsets.UTF_8);
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return null;
        }
    }

    /** {@code at::globalContext().setDeterministicAlgorithms(on, false)}; returns what the context reports after. */
    static Boolean deterministicAlgorithms(NativeLibrary lib, Boolean set) {
        try {
            Pointer ctx = lib.getFunction("_ZN2at13globalContextEv").invokePointer(new Object[0]);
            if (set != null) {
                lib.getFunction("_ZN2at7Context26setDeterministicAlgorithmsEbb").invoke(void.class, new Object[] {ctx, set, false});
            }
            return (Boolean) lib.getFunction("_ZNK2at7Context23deterministicAlgorithmsEv").invoke(Boolean.class, new Object[] {ctx});
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return null;
        }
    }
}
