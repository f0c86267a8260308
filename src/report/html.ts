/**
 * Writing HTML without ever pasting a string into it unescaped: `html`
 * escapes every value it is given unless that value is itself `Html` (what
 * another `html` call produced). File names, table signatures and QEMU's
 * messages are data from a capture, so they always go through here.
 */

export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text safe in element content and in a quoted attribute value. */
export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

type Value = Html | string | number | boolean | null | undefined | readonly Value[];

function render(v: Value): string {
  if (v instanceof Html) return v.text;
  if (Array.isArray(v)) return v.map(render).join('');
  if (v === null || v === undefined || v === false || v === true) return '';
  return esc(String(v));
}

/** A template whose interpolations are escaped (arrays joined, null/undefined/booleans dropped). */
export function html(strings: TemplateStringsArray, ...values: Value[]): Html {
  let out = strings[0]!;
  values.forEach((v, i) => (out += render(v) + strings[i + 1]!));
  return new Html(out);
}

/** Markup built elsewhere in this room and known to be safe (CSS, the search script). */
export function trusted(text: string): Html {
  return new Html(text);
}

export const hx = (n: number): string => '0x' + n.toString(16);

/** A guest address as text a reader can select with one click and copy. */
export function addr(n: number): Html {
  return html`<code class="addr" title="click selects, copy with Ctrl+C">${hx(n)}</code>`;
}

/** A byte count as people say it: 20 B, 4 KiB, 128 KiB, 2 GiB. */
export function sizeText(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let u = 0;
  let v = n;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${units[u]}`;
}

/**
 * Element ids made from data (file names hold `/`, `@`, anything): lowercase
 * letters, digits and dashes, made unique by a counter when two names fold
 * to the same id.
 */
export class Ids {
  private readonly seen = new Map<string, number>();

  make(...parts: (string | number)[]): string {
    const base = parts.map((p) => String(p).toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '')).filter((p) => p !== '').join('-') || 'x';
    const n = this.seen.get(base) ?? 0;
    this.seen.set(base, n + 1);
    return n === 0 ? base : `${base}-${n + 1}`;
  }
}
