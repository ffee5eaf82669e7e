package dev.moefrontier.minis;

import dev.moefrontier.harness.spi.CliExtension;
import java.util.List;

/** The minis' {@code frontier} subcommands: {@code train-mini}, {@code mini-data} and {@code inspect}. */
public final class MiniCommands implements CliExtension {
    @Override
    public String name() {
        return "minis";
    }

    @Override
    public String description() {
        return "train-mini, mini-data, inspect";
    }

    @Override
    public List<Object> commands() {
        return List.of(new TrainMiniCommand(), new MiniDataCommand(), new InspectCommand());
    }
}
