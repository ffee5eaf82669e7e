/**
 * HodgeCover (methods.md §4): merge barriers from calibration, the barrier complex and its filtration, the Hodge
 * decomposition, the coverage selection with its ablations, the Hodge-mass balance analyzer and the {@code hodge},
 * {@code barriers} and {@code hodge-balance} commands.
 */
package dev.moefrontier.compressors.hodge;
