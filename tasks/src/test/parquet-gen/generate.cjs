// Writes tasks/src/test/resources/hub-parquet/arc_easy.parquet (the documents of hub/arc_easy.jsonl) with arrow-rs's
// Parquet writer in the hub's layout (choices: struct<text: list<string>, label: list<string>>), snappy. Not part of
// the build; run by hand: npm install parquet-wasm@0.6.1 apache-arrow@18 && node generate.cjs OUTDIR
const arrow = require('apache-arrow');
const pw = require('parquet-wasm/node');
const fs = require('fs');
const path = require('path');
const out = process.argv[2] || '.';
const rows = fs.readFileSync(path.join(__dirname, '../resources/hub/arc_easy.jsonl'), 'utf8').trim().split('\n').map(JSON.parse);
const utf8List = () => new arrow.List(new arrow.Field('element', new arrow.Utf8(), true));
const table = new arrow.Table({
  id: arrow.vectorFromArray(rows.map(r => r.id), new arrow.Utf8()),
  question: arrow.vectorFromArray(rows.map(r => r.question), new arrow.Utf8()),
  choices: arrow.vectorFromArray(rows.map(r => r.choices),
      new arrow.Struct([new arrow.Field('text', utf8List(), true), new arrow.Field('label', utf8List(), true)])),
  answerKey: arrow.vectorFromArray(rows.map(r => r.answerKey), new arrow.Utf8()),
});
const props = new pw.WriterPropertiesBuilder().setCompression(pw.Compression.SNAPPY).build();
fs.writeFileSync(path.join(out, 'arc_easy.parquet'), pw.writeParquet(pw.Table.fromIPCStream(arrow.tableToIPC(table, 'stream')), props));
