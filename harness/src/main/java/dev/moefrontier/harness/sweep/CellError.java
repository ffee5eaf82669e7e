package dev.moefrontier.harness.sweep;

import java.io.PrintWriter;
import java.io.StringWriter;

/**
 * A failed cell's {@code error.json}: which cell, its message and stack trace. A later result replaces it.
 *
 * @param cell cell id (its folder name)
 * @param backbone backbone
 * @param compressor compressor
 * @param options canonical option string
 * @param ratio requested ratio
 * @param error the failure's message
 * @param trace the stack trace
 */
public record CellError(String cell, String backbone, String compressor, String options, double ratio, String error,
        String trace) {

    /** The record of {@code t} failing cell {@code c}. */
    public static CellError of(Cell c, Throwable t) {
        StringWriter sw = new StringWriter();
        t.printStackTrace(new PrintWriter(sw));
        return new CellError(c.id(), c.backbone(), c.compressor(), c.optionString(), c.ratio(), String.valueOf(t.getMessage()),
                sw.toString());
    }
}
