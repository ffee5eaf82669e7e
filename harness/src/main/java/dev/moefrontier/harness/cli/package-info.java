/**
 * The {@code frontier} command line: one picocli command per file, {@link dev.moefrontier.harness.cli.Main} the entry
 * point. Errors a user can cause print as one line ("frontier: error: file: problem") with a non-zero exit.
 *
 * <p>Plug-in surface: {@link dev.moefrontier.harness.spi.CliExtension} adds subcommands (and {@code bench}
 * subcommands) from other modules through {@code META-INF/services}.
 */
package dev.moefrontier.harness.cli;
