/**
 * Task and corpus files read without Python: JSONL and Hugging Face hub Parquet ({@link
 * dev.moefrontier.harness.data.Records}, {@link dev.moefrontier.harness.data.ParquetFile}). Every record knows its file
 * and line or row, so errors name them.
 */
package dev.moefrontier.harness.data;
