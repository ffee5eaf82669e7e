/**
 * Building blocks of REAM (methods.md §7): the exact linear-assignment solver that aligns expert neurons. The REAM
 * compressor itself is not registered yet.
 */
package dev.moefrontier.compressors.ream;
