/** A process we start must not outlive us: if Node dies without running its exit hooks, a small shell kills it within a second. */
import { spawn } from 'node:child_process';

/** Kills `pid` with SIGKILL once this Node process is gone (or stops watching when `pid` ends first). */
export function killWhenParentDies(pid: number): void {
  spawn('sh', ['-c', 'while kill -0 "$0" 2>/dev/null && kill -0 "$1" 2>/dev/null; do sleep 1; done; kill -9 "$1" 2>/dev/null', String(process.pid), String(pid)], {
    detached: true,
    stdio: 'ignore',
  }).unref();
}
