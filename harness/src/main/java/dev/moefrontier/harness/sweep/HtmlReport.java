package dev.moefrontier.harness.sweep;

import dev.moefrontier.harness.spi.ReportRenderer;
import dev.moefrontier.harness.spi.RunTable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/** {@code report.html}: one self-contained page (figures embedded as PNG data) with the tables, figures and failures. */
final class HtmlReport {
    private HtmlReport() {}

    static String render(RunSummary s, List<RunTable> findings, List<ReportRenderer.Figure> figures, Map<String, String> summaries, List<CellError> errors,
            Path root) throws IOException {
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").append(esc(s.name())).append(" — MoE Frontier</title>\n")
                .append("<style>body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1400px;color:#222}"
                        + "table{border-collapse:collapse;font-size:13px;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}"
                        + "td:first-child,th:first-child{text-align:left}th{background:#f3f3f3}figure{display:inline-block;margin:1em;vertical-align:top}"
                        + "figcaption{font-size:13px;max-width:760px}img{max-width:760px;border:1px solid #eee}.err{color:#a00}</style>\n</head><body>\n");
        h.append("<h1>").append(esc(s.name())).append("</h1>\n<p>").append(s.results().size()).append(" cells on ")
                .append(esc(String.join(", ", s.backbones()))).append(". Files: <a href=\"frontier.csv\">frontier.csv</a>, <a href=\"table.md\">table.md</a>");
        for (String table : s.tables().keySet()) { // every analyzer's table, linked
            h.append(", <a href=\"").append(esc(table)).append("\">").append(esc(table)).append("</a>");
        }
        for (RunTable f : findings) { // analyzers' findings about the whole run come first
            h.append(", <a href=\"").append(esc(f.file())).append("\">").append(esc(f.file())).append("</a>");
        }
        h.append(".</p>\n");
        for (RunTable f : findings) {
            String md = f.markdown();
            h.append("<h2>").append(esc(f.title())).append("</h2>\n<p>").append(esc(f.description())).append("</p>\n")
                    .append(markdownTable(md.substring(md.indexOf("\n|") + 1)));
        }
        h.append("<h2>Frontier table</h2>\n<p>Headline metrics per backbone and ratio (accuracies in %, best compressed value in bold).</p>\n");
        for (String b : s.backbones()) {
            h.append("<h3>").append(esc(b)).append("</h3>\n").append(markdownTable(FrontierTable.markdown(s, b)));
        }
        if (!figures.isEmpty()) {
            h.append("<h2>Figures</h2>\n");
            for (ReportRenderer.Figure f : figures) {
                h.append("<figure><img alt=\"").append(esc(f.title())).append("\" src=\"data:image/png;base64,")
                        .append(Base64.getEncoder().encodeToString(Files.readAllBytes(f.png()))).append("\"><figcaption><b>").append(esc(f.title()))
                        .append("</b>. ").append(esc(f.caption()));
                if (f.svg() != null) {
                    h.append(" <a href=\"").append(esc(root.relativize(f.svg()).toString())).append("\">SVG</a>");
                }
                h.append("</figcaption></figure>\n");
            }
        }
        for (String md : summaries.values()) { // each analyzer's summary: "# Title", text, then one markdown table
            String title = md.startsWith("# ") ? md.substring(2, md.indexOf('\n')) : "Analysis";
            int table = md.indexOf("\n|");
            h.append("<h2>").append(esc(title)).append("</h2>\n");
            if (table >= 0) {
                h.append(markdownTable(md.substring(table + 1)));
            }
        }
        if (!errors.isEmpty()) {
            h.append("<h2 class=\"err\">Failed cells</h2>\n<ul>\n");
            for (CellError e : errors) {
                h.append("<li class=\"err\">").append(esc(e.backbone() + "/" + e.cell())).append(": ")
                        .append(esc(e.error())).append("</li>\n");
            }
            h.append("</ul>\n");
        }
        return h.append("</body></html>\n").toString();
    }

    /** A markdown pipe table (as this package writes them) as HTML. */
    static String markdownTable(String md) {
        StringBuilder h = new StringBuilder("<table>\n");
        String[] lines = md.strip().split("\n");
        int row = 0;
        for (String line : lines) {
            if (!line.startsWith("|")) {
                continue;
            }
            if (line.startsWith("| ---") || line.matches("\\|[\\s:|-]+\\|")) {
                continue;
            }
            String[] cells = line.substring(1, line.length() - 1).split("\\|");
            h.append("<tr>");
            for (String c : cells) {
                String t = esc(c.strip()).replaceAll("\\*\\*(.+?)\\*\\*", "<b>$1</b>");
                h.append(row == 0 ? "<th>" + t + "</th>" : "<td>" + t + "</td>");
            }
            h.append("</tr>\n");
            row++;
        }
        return h.append("</table>\n").toString();
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
