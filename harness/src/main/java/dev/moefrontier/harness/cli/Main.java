package dev.moefrontier.harness.cli;

import dev.moefrontier.harness.spi.CliExtension;
import dev.moefrontier.harness.spi.Registry;
import dev.moefrontier.harness.io.CheckpointException;
import dev.moefrontier.harness.runtime.Engines;
import dev.moefrontier.harness.runtime.Numerics;
import dev.moefrontier.harness.util.Provenance;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine;

/** {@code frontier}: the MoE Frontier command line. */
@Command(name = "frontier",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        sortOptions = false,
        usageHelpAutoWidth = true,
        description = {
            "Benchmark and evaluation harness for learning-free compression of sparse Mixture-of-Experts language models.",
            "",
            "Loads Hugging Face MoE checkpoints (safetensors + config.json: olmoe, qwen2_moe, qwen3_moe, mixtral,"
                + " qwen3_5_moe) with DJL's PyTorch engine, fully offline.",
            ""
        },
        footer = {
            "",
            "Examples:",
            "  frontier demo --out runs/demo",
            "  frontier sweep scripts/sweeps/demo.yaml --out runs/my-sweep",
            "  frontier check runs/demo --against results/reference/demo",
            "  frontier doctor",
            "  frontier forward --model DIR --inputs inputs.json --out out.safetensors",
            "  frontier list compressors",
            "  frontier scores --model DIR --calibration calib.jsonl --out scores.csv",
            "  frontier compress --model DIR --compressor reap --ratio 0.5 --calibration calib.jsonl --out DIR2",
            "  frontier eval --model DIR2 --tasks arc_easy,mmlu,wikitext --data ~/datasets --out results.json",
            "  frontier synth --type qwen3_5_moe --experts 256 --topk 8 --out /tmp/q35",
            "  frontier inspect olmoe-mini",
            "  frontier train-mini qwen35-mini-a --out /tmp/qwen35-mini-a",
            "  frontier bench forward",
            "",
            "Run 'frontier COMMAND --help' for a command's options. Errors exit with status 1 (2 for bad usage)."
        },
        subcommands = {
            DemoCommand.class,
            DoctorCommand.class,
            ForwardCommand.class,
            ListCommand.class,
            ScoresCommand.class,
            CompressCommand.class,
            EvalCommand.class,
            RequestsCommand.class,
            SynthCommand.class,
            SweepCommand.class,
            PlanCommand.class,
            RunCellCommand.class,
            TaskCommand.class,
            CollectCommand.class,
            CheckCommand.class,
            BenchCommand.class,
            CommandLine.HelpCommand.class
        })
public final class Main implements Runnable {

    @Option(names = "--stacktrace", scope = ScopeType.INHERIT, description = "Print the full stack trace of an error.")
    boolean stacktrace;

    @Option(names = {"-q", "--quiet"}, scope = ScopeType.INHERIT, description = "No progress bars.")
    void quiet(boolean q) {
        dev.moefrontier.harness.util.Progress.quiet(q);
    }

    @Option(names = "--numerics", scope = ScopeType.INHERIT, paramLabel = "MODE",
            description = "reproducible (default: pinned ATen kernels, MKL branch and threads, the same bits on every x86-64"
                    + " CPU with AVX2) or fast (the machine's fastest kernels and all cores; last bits machine-dependent)."
                    + " Also -Dfrontier.numerics or $FRONTIER_NUMERICS.")
    void numerics(Numerics.Mode mode) {
        Numerics.request(mode);
    }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        dev.moefrontier.harness.util.RunMetrics.installIfRequested();
        System.exit(execute(args));
    }

    /** Runs the CLI and returns the exit status (for tests). */
    public static int execute(String... args) {
        Engines.offline();
        CommandLine cl = commandLine();
        return cl.execute(args);
    }

    /** The command tree, with the subcommands of every {@link CliExtension} on the classpath. */
    public static CommandLine commandLine() {
        Main main = new Main();
        CommandLine cl = new CommandLine(main);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setExecutionStrategy(Main::executeChecked);
        for (CliExtension ext : Registry.load(CliExtension.class, "CLI extension").all()) {
            for (Object cmd : ext.commands()) {
                cl.addSubcommand(cmd);
            }
            for (Object cmd : ext.benchmarks()) {
                cl.getSubcommands().get("bench").addSubcommand(cmd);
            }
        }
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            PrintWriter err = commandLine.getErr();
            err.println("frontier: error: " + message(ex));
            if (main.stacktrace) {
                ex.printStackTrace(err);
            } else if (!expected(ex)) {
                err.println("(run with --stacktrace for details)");
            }
            err.flush();
            return 1;
        });
        return cl;
    }

    /** Checks option combinations that span mixins before the command runs, then runs it. */
    private static int executeChecked(CommandLine.ParseResult parsed) {
        CommandLine.ParseResult leaf = parsed;
        while (leaf.hasSubcommand()) {
            leaf = leaf.subcommand();
        }
        if (leaf.hasMatchedOption("--threads")) {
            Integer t = leaf.matchedOptionValue("--threads", null);
            try {
                Engines.threads(t, null); // refuses counts the numerics mode does not allow, naming the option
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(leaf.commandSpec().commandLine(), e.getMessage());
            }
        }
        return new CommandLine.RunLast().execute(parsed);
    }

    /** Errors about the user's input, whose message says everything. */
    private static boolean expected(Throwable ex) {
        return ex instanceof CheckpointException || ex instanceof IllegalArgumentException
                || ex instanceof UncheckedIOException || ex instanceof java.io.IOException
                || ex instanceof UserError || ex instanceof dev.moefrontier.harness.runtime.NumericsException
                || ex instanceof dev.moefrontier.harness.util.NonFiniteException;
    }

    static String message(Throwable ex) {
        if (ex instanceof UncheckedIOException u) {
            return dev.moefrontier.harness.util.IoErrors.describe(u).replace('\n', ' ');
        }
        if (ex instanceof java.io.IOException io) {
            return dev.moefrontier.harness.util.IoErrors.describe(io).replace('\n', ' ');
        }
        String m = ex.getMessage();
        if (expected(ex) && m != null) {
            return m.replace('\n', ' ');
        }
        return ex.getClass().getSimpleName() + (m == null ? "" : ": " + m.replace('\n', ' '));
    }

    /** An error in what the user asked for (bad combination of options, unusable file). */
    public static final class UserError extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public UserError(String message) {
            super(message);
        }
    }

    /** {@code --version}. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"MoE Frontier " + Provenance.version() + " (git " + Provenance.gitCommit() + ")",
                "DJL " + Provenance.djlVersion() + ", Java " + System.getProperty("java.version")};
        }
    }
}
