/**
 * Small shared helpers: atomic file writes, I/O errors in words, NaN/Inf checks, checksums, set overlap, CSV, the JSON binding of our own formats ({@link dev.moefrontier.harness.util.Json}), progress bars,
 * provenance and memory trimming.
 */
package dev.moefrontier.harness.util;
