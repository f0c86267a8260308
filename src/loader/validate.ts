/**
 * Reports what in a loader blob no QEMU could have produced. Nothing is
 * fixed: the bytes stay as they are, this only says what is unusual and where.
 */
import { asBytes, type ByteSource } from '../bytes.js';
import { ENTRY_SIZE } from './constants.js';
import { COMMAND_NAMES, FIELDS_END } from './fields.js';
import { decodeLoader } from './codec.js';
import { commandOf, nameFields } from './fields.js';
import { inspectNameField } from './name-field.js';

export interface FormatIssue {
  /** Entry index, or -1 for the stream as a whole. */
  index: number;
  severity: 'error' | 'warning';
  code: string;
  message: string;
}

export function validateLoaderBytes(source: ByteSource): FormatIssue[] {
  const bytes = asBytes(source);
  const issues: FormatIssue[] = [];
  const rest = bytes.length % ENTRY_SIZE;
  if (rest !== 0) {
    issues.push({ index: -1, severity: 'error', code: 'SIZE_NOT_MULTIPLE', message: `${bytes.length} bytes: ${rest} trailing bytes after ${(bytes.length - rest) / ENTRY_SIZE} entries` });
  }
  const entries = decodeLoader(bytes.subarray(0, bytes.length - rest));
  entries.forEach((e, index) => {
    if (e.type === 'padding') return;
    if (e.type === 'unknown') {
      issues.push({
        index,
        severity: 'warning',
        code: e.command === 0 ? 'NONZERO_PADDING' : 'UNKNOWN_COMMAND',
        message: e.command === 0 ? 'command 0 with non-zero bytes' : `unknown command 0x${e.command.toString(16)}`,
      });
      return;
    }
    if (e.raw === undefined) return;
    for (const f of nameFields(e)) {
      for (const i of inspectNameField(e.raw, f.at)) {
        issues.push({ index, severity: i.kind === 'non-ascii' || i.kind === 'control-char' ? 'warning' : 'error', code: `NAME_${i.kind.toUpperCase().replace(/-/g, '_')}`, message: `${f.field}: ${i.message}` });
      }
    }
    const end = FIELDS_END[commandOf(e) as keyof typeof FIELDS_END];
    for (let i = end; i < ENTRY_SIZE; i++) {
      if (e.raw[i] !== 0) {
        issues.push({ index, severity: 'warning', code: 'RESERVED_NONZERO', message: `${COMMAND_NAMES[commandOf(e)]}: reserved byte ${i} is 0x${e.raw[i]!.toString(16)}` });
        break;
      }
    }
  });
  // non-ASCII names that decode canonically carry no raw copy: check the text
  entries.forEach((e, index) => {
    if (e.type === 'padding' || e.type === 'unknown' || e.raw !== undefined) return;
    for (const f of nameFields(e)) {
      for (let i = 0; i < f.name.length; i++) {
        const c = f.name.charCodeAt(i);
        if (c >= 0x80 || c < 0x20 || c === 0x7f) {
          issues.push({ index, severity: 'warning', code: c >= 0x80 ? 'NAME_NON_ASCII' : 'NAME_CONTROL_CHAR', message: `${f.field}: byte 0x${c.toString(16)} at field offset ${i}` });
          break;
        }
      }
      if (f.name.length === 0) issues.push({ index, severity: 'error', code: 'NAME_EMPTY', message: `${f.field}: empty name` });
    }
  });
  return issues.sort((a, b) => a.index - b.index);
}
