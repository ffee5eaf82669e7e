/** {@code frontier bench scale}: the whole pipeline timed at real model dimensions, stage by stage in child processes. */
package dev.moefrontier.compressors.scale;
