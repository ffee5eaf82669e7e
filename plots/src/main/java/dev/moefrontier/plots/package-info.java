/**
 * Figures of a sweep (frontiers, Hodge-mass balance, harmonic energy, β1 curves) as PNG and SVG through XChart:
 * a {@link dev.moefrontier.harness.spi.ReportRenderer} plug-in. Rendering only reads a run's summary.
 */
package dev.moefrontier.plots;
