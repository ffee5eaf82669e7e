package dev.moefrontier.harness.compress;

import java.util.Map;

/**
 * Wanda statistics of a layer's kept experts (and shared expert), plus the checksum of the masks they produce.
 *
 * @param experts per kept expert
 * @param shared the shared expert's, or null
 * @param sha256 SHA-256 of the masks (layer order, experts ascending, gate/up/down, then shared)
 */
public record LayerMasks(Map<Integer, ExpertNorms> experts, ExpertNorms shared, String sha256) {}
