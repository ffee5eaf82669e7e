package dev.moefrontier.harness.util;

import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * RFC 4180 CSV through Apache Commons CSV: fields with commas, quotes or line breaks are quoted (quotes doubled),
 * records end with {@code \n}, and the first record is the header.
 */
public final class Csv {
    /** The one CSV dialect of every file the harness writes. */
    public static final CSVFormat FORMAT = CSVFormat.RFC4180.builder().setRecordSeparator("\n").get();

    private Csv() {}

    /** One record (with its line break); null fields are empty. */
    public static String row(Object... fields) {
        Object[] f = new Object[fields.length];
        for (int i = 0; i < fields.length; i++) {
            f[i] = fields[i] == null ? "" : String.valueOf(fields[i]);
        }
        return FORMAT.format(f) + "\n";
    }

    /** Rows as header → value maps; a record whose field count differs from the header's is an error naming its line. */
    public static List<Map<String, String>> parse(String text) {
        List<Map<String, String>> out = new ArrayList<>();
        try (CSVParser p = CSVParser.builder().setReader(new StringReader(text)).setFormat(FORMAT.builder().setIgnoreEmptyLines(true)
                .get()).get()) {
            List<String> header = null;
            for (CSVRecord r : p) {
                if (header == null) {
                    header = r.toList();
                    continue;
                }
                if (r.size() != header.size()) {
                    throw new IllegalArgumentException("line " + p.getCurrentLineNumber() + " has " + r.size() + " fields, the header "
                            + header.size());
                }
                Map<String, String> m = new LinkedHashMap<>();
                for (int j = 0; j < header.size(); j++) {
                    m.put(header.get(j), r.get(j));
                }
                out.add(m);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (java.io.UncheckedIOException e) {
            throw new IllegalArgumentException("not valid CSV: " + e.getCause().getMessage(), e);
        }
        return out;
    }

    /** The fields of one record. */
    public static List<String> fields(String line) {
        try (CSVParser p = CSVParser.builder().setReader(new StringReader(line)).setFormat(FORMAT).get()) {
            List<CSVRecord> rs = p.getRecords();
            return rs.isEmpty() ? List.of() : rs.get(0).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
