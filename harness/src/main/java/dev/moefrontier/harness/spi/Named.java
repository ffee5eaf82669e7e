package dev.moefrontier.harness.spi;

/** Something users choose by name on the command line or in a sweep spec: a compressor, a task, a renderer. */
public interface Named {
    /** Unique, lower-case name, e.g. {@code reap} or {@code hodgecover+wanda}. */
    String name();

    /** One line for {@code frontier list}. */
    String description();
}
