package dev.moefrontier.harness.spi;

import java.util.List;

/**
 * Lets a module add {@code frontier} subcommands (picocli {@code @Command} objects) without the harness depending on
 * it: list the implementation in {@code META-INF/services/dev.moefrontier.harness.spi.CliExtension}.
 */
public interface CliExtension extends Named {
    @Override
    default String description() {
        return "subcommands " + commands().size() + ", benchmarks " + benchmarks().size();
    }

    /** Command objects to add, each annotated with picocli's {@code @Command(name = ...)}. */
    List<Object> commands();

    /** Command objects to add under {@code frontier bench}. */
    default List<Object> benchmarks() {
        return List.of();
    }
}
