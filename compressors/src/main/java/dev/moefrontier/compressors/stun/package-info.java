/**
 * STUN's expert-pruning stage (methods.md §8): the co-activation statistic, the greedy clustering with its rejection rule
 * and the uniform or global budget. STUN+Wanda is {@link dev.moefrontier.compressors.StunWandaCompressor}.
 */
package dev.moefrontier.compressors.stun;
