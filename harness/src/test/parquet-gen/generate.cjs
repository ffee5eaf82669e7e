// Writes the Parquet test files of harness/src/test/resources/parquet with an independent writer: arrow-rs's Parquet
// writer compiled to WebAssembly (npm parquet-wasm@0.6.1, apache-arrow@18). Not part of the build; run by hand:
//   npm install parquet-wasm@0.6.1 apache-arrow@18 && node generate.cjs OUTDIR
const arrow = require('apache-arrow');
const pw = require('parquet-wasm/node');
const fs = require('fs');
const out = process.argv[2] || '.';

const utf8List = () => new arrow.List(new arrow.Field('element', new arrow.Utf8(), true));
const rows = [];
for (let i = 0; i < 50; i++) {
  rows.push({
    id32: i * 7 - 100,
    id64: BigInt(i) * 10000000000n - 3n,
    flag: i % 3 === 0,
    score: i / 8 - 2.5,
    name: i % 5 === 4 ? null : 'row ' + (i % 11) + ' \u00e9\u4e2d',
    tags: i % 6 === 5 ? null : (i % 4 === 3 ? [] : Array.from({length: 1 + (i % 4)}, (_, k) => (k === 1 && i % 7 === 0) ? null : 't' + ((i + k) % 9))),
    choices: {text: ['a' + i, 'b' + (i % 3), 'c'], label: ['A', 'B', 'C']},
    pairs: Array.from({length: i % 3}, (_, k) => ({key: 'k' + k, value: BigInt(i * 10 + k)})),
  });
}
const pairType = new arrow.List(new arrow.Field('element', new arrow.Struct([
  new arrow.Field('key', new arrow.Utf8(), true), new arrow.Field('value', new arrow.Int64(), true)]), true));
const choicesType = new arrow.Struct([new arrow.Field('text', utf8List(), true), new arrow.Field('label', utf8List(), true)]);
const table = new arrow.Table({
  id32: arrow.vectorFromArray(rows.map(r => r.id32), new arrow.Int32()),
  id64: arrow.vectorFromArray(rows.map(r => r.id64), new arrow.Int64()),
  flag: arrow.vectorFromArray(rows.map(r => r.flag), new arrow.Bool()),
  score: arrow.vectorFromArray(rows.map(r => r.score), new arrow.Float64()),
  name: arrow.vectorFromArray(rows.map(r => r.name), new arrow.Utf8()),
  tags: arrow.vectorFromArray(rows.map(r => r.tags), utf8List()),
  choices: arrow.vectorFromArray(rows.map(r => r.choices), choicesType),
  pairs: arrow.vectorFromArray(rows.map(r => r.pairs), pairType),
});
const ipc = () => pw.Table.fromIPCStream(arrow.tableToIPC(table, 'stream'));
const variants = {
  'snappy-v1-dict': b => b.setCompression(pw.Compression.SNAPPY),
  'zstd-v2-dict': b => b.setCompression(pw.Compression.ZSTD).setWriterVersion(pw.WriterVersion.V2),
  'gzip-v1-plain': b => b.setCompression(pw.Compression.GZIP).setDictionaryEnabled(false),
  'none-v2-delta': b => b.setCompression(pw.Compression.UNCOMPRESSED).setWriterVersion(pw.WriterVersion.V2)
      .setDictionaryEnabled(false).setColumnEncoding('id32', pw.Encoding.DELTA_BINARY_PACKED)
      .setColumnEncoding('id64', pw.Encoding.DELTA_BINARY_PACKED).setColumnEncoding('name', pw.Encoding.DELTA_BYTE_ARRAY)
      .setColumnEncoding('tags.list.element', pw.Encoding.DELTA_LENGTH_BYTE_ARRAY),
  'lz4raw-v1-rowgroups': b => b.setCompression(pw.Compression.LZ4_RAW).setMaxRowGroupSize(16).setDataPageSizeLimit(64),
};
for (const [name, cfg] of Object.entries(variants)) {
  const props = cfg(new pw.WriterPropertiesBuilder()).build();
  fs.writeFileSync(`${out}/${name}.parquet`, pw.writeParquet(ipc(), props));
}
fs.writeFileSync(`${out}/expected.json`, JSON.stringify(rows, (k, v) => typeof v === 'bigint' ? v.toString() : v, 1));
console.log('wrote', Object.keys(variants).length, 'files to', out);
