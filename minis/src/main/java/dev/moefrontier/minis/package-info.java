/**
 * The embedded mini backbones: their synthetic corpus, tokenizer training, the trainer ({@code frontier train-mini})
 * and the inspection report. Nothing here is needed to load or compress a real checkpoint.
 */
package dev.moefrontier.minis;
