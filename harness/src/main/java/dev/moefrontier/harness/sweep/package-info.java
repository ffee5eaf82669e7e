/**
 * Sweeps: specs, their expansion into cells, running cell groups into run folders, resumption and worker claims,
 * collection into frontier tables and reports, and regression checks against references.
 *
 * <p>Entry types: {@link dev.moefrontier.harness.sweep.SweepSpec} and {@link dev.moefrontier.harness.sweep.SweepValidator}
 * (the whole spec checked before any work), {@link dev.moefrontier.harness.sweep.SweepRunner}, {@link
 * dev.moefrontier.harness.sweep.CellFingerprint} (what defines a cell's result), {@link
 * dev.moefrontier.harness.sweep.Collector} and {@link dev.moefrontier.harness.sweep.ReferenceCheck}. Plug-in surface:
 * {@link dev.moefrontier.harness.spi.GroupAnalyzer} (per-backbone analyses) and {@link
 * dev.moefrontier.harness.spi.ReportRenderer} (plots).
 */
package dev.moefrontier.harness.sweep;
