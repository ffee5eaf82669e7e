/**
 * Named plug-in registries: built-ins plus {@code META-INF/services} entries of every jar on the class path, with
 * name checks and clash errors ({@link dev.moefrontier.harness.registry.Registry}).
 */
package dev.moefrontier.harness.registry;
