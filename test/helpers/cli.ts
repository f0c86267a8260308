import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { main } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/output.js';
import { ROOT } from './paths.js';

export interface Run {
  code: number;
  stdout: string;
  stdoutBytes: Uint8Array;
  stderr: string;
}

/** Runs the CLI in-process with captured streams. */
export async function fwcfg(...argv: string[]): Promise<Run> {
  const out: Uint8Array[] = [];
  let stderr = '';
  const io: Io = {
    out: (s) => void out.push(Buffer.from(s, 'utf8')),
    outBytes: (b) => void out.push(b.slice()),
    err: (s) => void (stderr += s),
  };
  const code = await main(argv, io);
  const stdoutBytes = new Uint8Array(Buffer.concat(out));
  return { code, stdout: Buffer.from(stdoutBytes).toString('utf8'), stdoutBytes, stderr };
}

const execFileP = promisify(execFile);

/** Runs the bundled executable dist/fwcfg.mjs as a user would. */
export async function fwcfgBin(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await execFileP(join(ROOT, 'dist', 'fwcfg.mjs'), argv, { encoding: 'utf8', maxBuffer: 64 << 20 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
