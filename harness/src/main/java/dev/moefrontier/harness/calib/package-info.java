/**
 * Calibration: the windows a compressor learns from and one streamed pass that collects every statistic it needs.
 *
 * <p>Entry types: {@link dev.moefrontier.harness.calib.Calibrator} (the pass and its on-disk cache, keyed by the
 * checkpoint's content fingerprint, the calibration data's content and {@link
 * dev.moefrontier.harness.calib.CalibrationStats#VERSION}), {@link dev.moefrontier.harness.calib.CalibrationData}
 * (windows sampled from a corpus or read as token ids, checked against the model's vocabulary and context) and
 * {@link dev.moefrontier.harness.calib.CalibrationStats} / {@link dev.moefrontier.harness.calib.LayerStats} (what a
 * compressor reads, methods.md §3-5). Plug-ins read statistics through these types; they do not subclass them.
 */
package dev.moefrontier.harness.calib;
