/**
 * Calibration: the windows a compressor learns from and the statistics it reads.
 *
 * <p>Entry types: {@link dev.moefrontier.harness.spi.CalibrationStatistic} (the SPI every statistic implements,
 * streamed or computed; plug-ins add their own), {@link dev.moefrontier.harness.calib.RoutingStatistics} (the two
 * built-in ones), {@link dev.moefrontier.harness.calib.Calibrator} (one streamed pass for what is not cached, then the
 * computed statistics; one cache file per statistic keyed by checkpoint fingerprint, calibration data, numerics and the
 * statistic's name, version and parameters), {@link dev.moefrontier.harness.calib.CalibrationData} (windows sampled
 * from a corpus or read as token ids, checked against the model's vocabulary and context) and {@link
 * dev.moefrontier.harness.calib.CalibrationStats} / {@link dev.moefrontier.harness.calib.LayerStats} (what a compressor
 * reads, methods.md §3-5). Plug-ins implement the statistic SPI and read values through these types.
 */
package dev.moefrontier.harness.calib;
