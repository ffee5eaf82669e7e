package dev.moefrontier.harness.spi;

import java.util.List;

/**
 * A table a {@link GroupAnalyzer} derives from a whole collected run (see {@link GroupAnalyzer#findings}): written as
 * {@code file} (CSV, this header) into the run folder and shown, with its title and description, first in
 * {@code report.html} and {@code table.md}.
 *
 * @param file CSV file name in the run folder, e.g. {@code claims.csv}
 * @param title section title
 * @param description one paragraph saying how to read the table
 * @param header column names
 * @param rows rows, each as long as the header
 */
public record RunTable(String file, String title, String description, List<String> header, List<List<String>> rows) {
    public RunTable {
        header = List.copyOf(header);
        rows = rows.stream().map(List::copyOf).toList();
        for (List<String> r : rows) {
            if (r.size() != header.size()) {
                throw new IllegalArgumentException(file + ": a row of " + r.size() + " fields under a header of " + header.size());
            }
        }
        if (!file.matches("[A-Za-z0-9_.-]+\\.csv")) {
            throw new IllegalArgumentException("a run table's file is a plain .csv name, not '" + file + "'");
        }
    }

    /** The section as markdown: "## title", the description, then a pipe table. */
    public String markdown() {
        StringBuilder sb = new StringBuilder("## ").append(title).append("\n\n").append(description).append("\n\n| ")
                .append(String.join(" | ", header.stream().map(RunTable::cell).toList())).append(" |\n|");
        header.forEach(h -> sb.append(" --- |"));
        sb.append('\n');
        for (List<String> r : rows) {
            sb.append("| ").append(String.join(" | ", r.stream().map(RunTable::cell).toList())).append(" |\n");
        }
        return sb.toString();
    }

    private static String cell(String s) {
        return s.replace("|", "/").replace("\n", " ");
    }
}
