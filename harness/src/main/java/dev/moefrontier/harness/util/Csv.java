package dev.moefrontier.harness.util;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** RFC 4180 CSV: fields with commas, quotes or newlines are quoted (quotes doubled); the first line is the header. */
public final class Csv {
    private Csv() {}

    /** One line (with its newline). */
    public static String row(Object... fields) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < fields.length; i++) {
            if (i > 0) {
                sb.append(',');
            }
            String f = fields[i] == null ? "" : String.valueOf(fields[i]);
            if (f.contains(",") || f.contains("\"") || f.contains("\n")) {
                sb.append('"').append(f.replace("\"", "\"\"")).append('"');
            } else {
                sb.append(f);
            }
        }
        return sb.append('\n').toString();
    }

    /** Rows as header → value maps. */
    public static List<Map<String, String>> parse(String text) {
        List<List<String>> lines = split(text);
        List<Map<String, String>> out = new ArrayList<>();
        if (lines.isEmpty()) {
            return out;
        }
        List<String> header = lines.get(0);
        for (int i = 1; i < lines.size(); i++) {
            List<String> l = lines.get(i);
            if (l.size() == 1 && l.get(0).isEmpty()) {
                continue;
            }
            if (l.size() != header.size()) {
                throw new IllegalArgumentException("line " + (i + 1) + " has " + l.size() + " fields, the header " + header.size());
            }
            Map<String, String> m = new LinkedHashMap<>();
            for (int j = 0; j < header.size(); j++) {
                m.put(header.get(j), l.get(j));
            }
            out.add(m);
        }
        return out;
    }

    /** The fields of one line. */
    public static List<String> fields(String line) {
        List<List<String>> l = split(line.endsWith("\n") ? line : line + "\n");
        return l.isEmpty() ? List.of() : l.get(0);
    }

    private static List<List<String>> split(String text) {
        List<List<String>> lines = new ArrayList<>();
        List<String> cur = new ArrayList<>();
        StringBuilder f = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quoted) {
                if (c == '"') {
                    if (i + 1 < text.length() && text.charAt(i + 1) == '"') {
                        f.append('"');
                        i++;
                    } else {
                        quoted = false;
                    }
                } else {
                    f.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                cur.add(f.toString());
                f.setLength(0);
            } else if (c == '\n') {
                cur.add(f.toString());
                f.setLength(0);
                lines.add(cur);
                cur = new ArrayList<>();
            } else if (c != '\r') {
                f.append(c);
            }
        }
        if (f.length() > 0 || !cur.isEmpty()) {
            cur.add(f.toString());
            lines.add(cur);
        }
        return lines;
    }
}
