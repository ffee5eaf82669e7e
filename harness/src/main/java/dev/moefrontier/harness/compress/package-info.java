/**
 * Compression plans and what compressors work with.
 *
 * <p>Entry types: {@link dev.moefrontier.harness.compress.CompressorCatalog} (every {@link
 * dev.moefrontier.harness.spi.Compressor} by name, built-ins, plug-ins and name patterns), {@link
 * dev.moefrontier.harness.compress.CompressionContext} (what a compressor plans from), {@link dev.moefrontier.harness.compress.PruningPlan} (what to
 * keep, redirect, merge or mask per layer, methods.md §1-2) and {@link dev.moefrontier.harness.compress.AppliedPlan}
 * (a plan applied to a loaded model without copying it); {@link dev.moefrontier.harness.compress.Budget} and {@link
 * dev.moefrontier.harness.compress.Accounting} (methods.md §1, §4.11); {@link dev.moefrontier.harness.compress.Decisions}
 * (rankings on a noise grid, methods.md §10); {@link dev.moefrontier.harness.compress.PlanExporter} (plans written as
 * standard checkpoints).
 */
package dev.moefrontier.harness.compress;
