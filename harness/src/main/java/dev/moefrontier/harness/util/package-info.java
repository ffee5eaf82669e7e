/**
 * Small shared helpers: atomic file writes, I/O errors in words, NaN/Inf checks, checksums, CSV, progress bars,
 * provenance and memory trimming.
 */
package dev.moefrontier.harness.util;
