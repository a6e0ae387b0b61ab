// Free loopback TCP ports for the processes a test starts (one implementation, in kit/testing).
import { freePorts } from '../../kit/testing/ports.js';

export { freePorts };

/** One free port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  if (port === undefined) throw new Error('no free port');
  return port;
}
