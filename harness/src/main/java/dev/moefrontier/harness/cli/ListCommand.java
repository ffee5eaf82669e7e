package dev.moefrontier.harness.cli;

import dev.moefrontier.harness.spi.CalibrationStatistic;
import dev.moefrontier.harness.spi.Compressor;
import dev.moefrontier.harness.compress.CompressorCatalog;
import dev.moefrontier.harness.compress.OptionSpec;
import dev.moefrontier.harness.compress.Options;
import dev.moefrontier.harness.spi.Registry;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code frontier list}. */
@Command(name = "list", mixinStandardHelpOptions = true,
        description = {"List registered plug-ins with their options.",
            "KIND is 'compressors' or 'tasks'. Plug-ins from jars on the classpath are listed too, with --origin their jar."})
final class ListCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "KIND", description = "compressors, tasks, analyzers, renderers or extensions")
    String kind;

    @Option(names = "--origin", description = "Show where each plug-in was loaded from.")
    boolean origin;

    @Override
    public Integer call() {
        if (kind.equals("tasks")) {
            var tasks = dev.moefrontier.harness.eval.Suite.registry();
            System.out.printf("%-16s %-8s %s%n", "NAME", "VERSION", "DESCRIPTION");
            for (var t : tasks.all()) {
                System.out.printf("%-16s %-8s %s%n", t.name(), t.version(), t.description());
                for (OptionSpec o : t.options()) {
                    System.out.println("    --option " + t.name() + "." + o.summary());
                }
                if (origin) {
                    System.out.println("    from " + Registry.origin(t));
                }
            }
            System.out.println();
            System.out.println("DS-Avg averages " + String.join(", ", dev.moefrontier.harness.eval.Suite.DS_AVG)
                    + " (acc_norm for arc_*, hellaswag, openbookqa, piqa; acc otherwise).");
            return 0;
        }
        if (kind.equals("analyzers") || kind.equals("renderers") || kind.equals("extensions")) {
            Registry<? extends dev.moefrontier.harness.spi.Named> r = switch (kind) {
                case "analyzers" -> Registry.load(dev.moefrontier.harness.spi.GroupAnalyzer.class, "analyzer");
                case "renderers" -> Registry.load(dev.moefrontier.harness.spi.ReportRenderer.class, "renderer");
                default -> Registry.load(dev.moefrontier.harness.spi.CliExtension.class, "CLI extension");
            };
            System.out.printf("%-16s %s%n", "NAME", "DESCRIPTION");
            for (var p : r.all()) {
                System.out.printf("%-16s %s%n", p.name(), p.description());
                if (origin) {
                    System.out.println("    from " + Registry.origin(p));
                }
            }
            return 0;
        }
        if (!kind.equals("compressors")) {
            throw new Main.UserError("unknown kind '" + kind + "' (known: compressors, tasks, analyzers, renderers, extensions)");
        }
        CompressorCatalog catalog = CompressorCatalog.load();
        System.out.printf("%-16s %-28s %s%n", "NAME", "CALIBRATION", "DESCRIPTION");
        for (Compressor c : catalog.registry().all()) {
            Options defaults = Options.parse(c.name(), c.options(), Map.of());
            Set<CalibrationStatistic> req = c.statistics(defaults);
            String cal = req.isEmpty() ? (c.needsCalibrationData(defaults) ? "data (own passes)" : "none")
                    : req.stream().map(CalibrationStatistic::name).sorted().collect(Collectors.joining(","));
            System.out.printf("%-16s %-28s %s%n", c.name(), cal, c.description());
            for (OptionSpec o : c.options()) {
                System.out.println("    --option " + o.summary());
            }
            if (origin) {
                System.out.println("    from " + Registry.origin(c));
            }
        }
        for (String p : catalog.patterns()) {
            System.out.println();
            System.out.println("also: " + p);
        }
        return 0;
    }
}
