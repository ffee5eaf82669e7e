package dev.moefrontier.harness.sweep;

import java.util.List;

/**
 * The cells that share a loaded model and one calibration: a worker loads the backbone and calibrates once, then runs
 * them all (the unit of {@code frontier run-cell}).
 *
 * @param index position in the plan
 * @param backbone the model
 * @param cells dense first (when asked for), then compressor × ratio
 */
public record CellGroup(int index, SweepSpec.Backbone backbone, List<Cell> cells) {}
