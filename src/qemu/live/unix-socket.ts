/** One connection attempt to a Unix socket QEMU listens on (QMP, a serial chardev): the socket, or the error. */
import { connect, type Socket } from 'node:net';

export function connectUnix(path: string): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    const s = connect(path);
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}
