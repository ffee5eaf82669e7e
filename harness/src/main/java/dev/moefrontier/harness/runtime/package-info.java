/**
 * The engine and its numeric environment: {@link dev.moefrontier.harness.runtime.Engines} starts PyTorch once, and
 * {@link dev.moefrontier.harness.runtime.Numerics} pins and verifies the kernels, BLAS branch and threads of the
 * reproducible mode (methods.md §10) before and after libtorch loads.
 */
package dev.moefrontier.harness.runtime;
