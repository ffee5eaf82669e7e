/**
 * The plug-in surface: every interface a module or a third-party jar implements to extend MoE Frontier, and the
 * registry that finds them. This package is the stable API; its types change only with a note in the README.
 *
 * <ul>
 *   <li>{@link dev.moefrontier.harness.spi.Compressor} (and {@link dev.moefrontier.harness.spi.ExpertScorer} for
 *       score-based ones, {@link dev.moefrontier.harness.spi.CompressorFactory} for name patterns such as
 *       {@code X+wanda}): options, the calibration statistics it reads, a plan per ratio.</li>
 *   <li>{@link dev.moefrontier.harness.spi.CalibrationStatistic}: a statistic collected in the calibration pass
 *       (streamed) or by passes of its own (computed), cached by name, version and parameters.</li>
 *   <li>{@link dev.moefrontier.harness.spi.WeightMaskRule}: which weights a plan's masks keep, from the per-input
 *       statistics the compressor recorded (a plan names its rule; the harness applies it).</li>
 *   <li>{@link dev.moefrontier.harness.spi.Evaluator}: a task (perplexity, multiple choice) and its metrics with their
 *       direction.</li>
 *   <li>{@link dev.moefrontier.harness.spi.GroupAnalyzer}: per-backbone tables of a sweep (CSV, markdown summaries);
 *       {@link dev.moefrontier.harness.spi.ReportRenderer}: figures of a run.</li>
 *   <li>{@link dev.moefrontier.harness.spi.CliExtension}: extra {@code frontier} subcommands.</li>
 *   <li>{@link dev.moefrontier.harness.spi.Named} and {@link dev.moefrontier.harness.spi.Registry}: names, discovery
 *       through {@code META-INF/services/dev.moefrontier.harness.spi.<Interface>}, clash errors.</li>
 * </ul>
 *
 * <p>Types a plug-in may touch besides these: in {@code compress} {@code Options}, {@code OptionSpec}, {@code
 * CompressionContext}, {@code PruningPlan}, {@code LayerPlan}, {@code PlanFigures}, {@code MaskSpec}, {@code
 * Decisions}, {@code Budget}, {@code CompressorCatalog}; in {@code calib} {@code CalibrationStats}, {@code LayerStats},
 * {@code RoutingStatistics}, {@code StatsCollector}, {@code Calibrator}, {@code CalibrationData}; in {@code model}
 * {@code ModelConfig}, {@code MoeLayerEvent}, {@code MoeTransformer}, {@code LayerWeights}, {@code ForwardObserver},
 * {@code ModelPatch}, {@code MoeOverride}, {@code TokenBatch}; in {@code eval} {@code EvalContext}, {@code Evaluation},
 * {@code MetricValue}, {@code Request}; in {@code sweep} {@code Cell}, {@code RunSummary}; {@code util.AtomicFiles},
 * {@code util.Csv}, {@code util.Progress}, {@code util.NonFiniteException}.
 */
package dev.moefrontier.harness.spi;
