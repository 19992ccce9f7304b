// Parses Mermaid charts with mermaid's own parser, as GitHub's renderer does before drawing them.
// Reads a JSON array of {"name", "source"} on standard input and prints a JSON array of
// {"name", "ok", "type", "error"}. Mermaid needs a DOM even to parse (its sanitizer); jsdom gives it one.
import { readFileSync } from 'node:fs';
import { JSDOM } from 'jsdom';

const { window } = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = window;
globalThis.document = window.document;
const { default: mermaid } = await import('mermaid');
mermaid.initialize({ startOnLoad: false });

const charts = JSON.parse(readFileSync(0, 'utf8'));
const out = [];
for (const { name, source } of charts) {
  try {
    const res = await mermaid.parse(source);
    out.push({ name, ok: true, type: res.diagramType, error: '' });
  } catch (e) {
    out.push({ name, ok: false, type: '', error: String(e?.message ?? e) });
  }
}
process.stdout.write(JSON.stringify(out));
