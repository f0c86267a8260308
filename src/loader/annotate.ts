/**
 * Names the ACPI table an entry's offset falls in, given the blobs' bytes
 * (`--file etc/acpi/tables=PATH`): pointers by the patched field, checksums
 * by the start of the summed range.
 */
import { locateInTables, scanTableBlob, type TableSpan } from '../acpi/blob-tables.js';
import type { LoaderEntry } from './entry.js';

export type Annotator = (entry: LoaderEntry) => string | undefined;

export function tableAnnotator(files: ReadonlyMap<string, Uint8Array>): Annotator {
  const spans = new Map<string, TableSpan[]>();
  for (const [name, bytes] of files) spans.set(name, scanTableBlob(bytes));
  const at = (file: string, offset: number) => {
    const s = spans.get(file);
    return s === undefined ? undefined : locateInTables(s, offset);
  };
  return (entry) => {
    switch (entry.type) {
      case 'addPointer':
        return at(entry.destFile, entry.offset);
      case 'addChecksum':
        return at(entry.file, entry.start);
      default:
        return undefined;
    }
  };
}
