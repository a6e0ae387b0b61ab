// SIGTERM/SIGINT handling: log in Go's words, abort once, exit 1 on a second signal.
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from '@jest/globals';
import { configureLogging } from './logger.js';
import { holdTerminationSignals, onTerminationSignals } from './signals.js';

function setup(): {
  emitter: EventEmitter;
  lines: Record<string, unknown>[];
  exits: number[];
  shutdowns: number[];
} {
  const lines: Record<string, unknown>[] = [];
  configureLogging({
    level: 'info',
    json: true,
    output: { write: (l: string) => lines.push(JSON.parse(l) as Record<string, unknown>) },
  });
  return { emitter: new EventEmitter(), lines, exits: [], shutdowns: [] };
}

describe('onTerminationSignals', () => {
  afterEach(() => {
    configureLogging({ level: 'info', json: false });
  });

  it.each([
    ['SIGTERM', 'terminated'],
    ['SIGINT', 'interrupt'],
  ])('on %s logs the shutdown line in the dapr.signals scope and aborts', (sig, word) => {
    const { emitter, lines, exits, shutdowns } = setup();
    const shutdown = onTerminationSignals({
      emitter: emitter as unknown as NodeJS.Process,
      exit: (code) => exits.push(code),
      onShutdown: () => shutdowns.push(1),
    });
    emitter.emit(sig, sig);
    expect(shutdown.signal.aborted).toBe(true);
    expect(shutdowns).toEqual([1]);
    expect(exits).toEqual([]);
    expect(lines[0]).toMatchObject({
      scope: 'dapr.signals',
      level: 'info',
      msg: `Received signal '${word}'; beginning shutdown`,
    });
    shutdown.dispose();
  });

  it('exits 1 at once on a second signal', () => {
    const { emitter, exits } = setup();
    const shutdown = onTerminationSignals({
      emitter: emitter as unknown as NodeJS.Process,
      exit: (code) => exits.push(code),
    });
    emitter.emit('SIGTERM', 'SIGTERM');
    emitter.emit('SIGINT', 'SIGINT');
    expect(exits).toEqual([1]);
    shutdown.dispose();
  });

  it('removes its handlers on dispose', () => {
    const { emitter } = setup();
    const shutdown = onTerminationSignals({
      emitter: emitter as unknown as NodeJS.Process,
      exit: () => undefined,
    });
    shutdown.dispose();
    expect(emitter.listenerCount('SIGTERM')).toBe(0);
    expect(emitter.listenerCount('SIGINT')).toBe(0);
  });
});

describe('holdTerminationSignals', () => {
  it('adds a listener for SIGTERM and SIGINT that does nothing, so the default action never applies', () => {
    const emitter = new EventEmitter();
    holdTerminationSignals(emitter as unknown as NodeJS.Process);
    expect(emitter.listenerCount('SIGTERM')).toBe(1);
    expect(emitter.listenerCount('SIGINT')).toBe(1);
    expect(() => emitter.emit('SIGTERM', 'SIGTERM')).not.toThrow();
  });
});
