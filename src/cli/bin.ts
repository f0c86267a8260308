import { main } from './main.js';

// stdout closed early (e.g. `| head`) is not an error of ours
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
});

process.exitCode = await main(process.argv.slice(2));
