import { isMainThread } from 'node:worker_threads';
import { main } from './main.js';

// stdout closed early (e.g. `| head`) is not an error of ours
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
});

// the bundle is also what fuzz worker threads run (src/fuzz/workers.ts): they take jobs, not argv
if (isMainThread) process.exitCode = await main(process.argv.slice(2));
