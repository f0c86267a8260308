/** Serving the qtest protocol over a byte stream: split on '\n' only (QEMU keeps a '\r' in the last word), one reply line per request. */
import type { QtestEndpoint } from './endpoint.js';

export async function serveQtestLines(endpoint: QtestEndpoint, input: AsyncIterable<string | Uint8Array>, write: (text: string) => void): Promise<void> {
  let pending = '';
  for await (const chunk of input) {
    pending += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('latin1');
    let nl: number;
    let out = '';
    while ((nl = pending.indexOf('\n')) >= 0) {
      out += endpoint.handle(pending.slice(0, nl)) + '\n';
      pending = pending.slice(nl + 1);
    }
    if (out !== '') write(out);
  }
  // a last line without its newline is never processed by QEMU either
}
