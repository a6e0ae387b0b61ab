// SIGTERM/SIGINT → one AbortSignal for the whole process. The first signal begins a graceful
// shutdown; a second one means "now" and exits with code 1 (kubelet's SIGKILL would follow
// anyway; an operator pressing Ctrl-C twice wants out).
import { logger, type Logger } from './logger.js';

/** Go's names for the signals, as upstream prints them in the shutdown line. */
const SIGNAL_NAMES: Readonly<Record<string, string>> = {
  SIGTERM: 'terminated',
  SIGINT: 'interrupt',
};

export interface ShutdownSignal {
  /** Aborts on the first SIGTERM/SIGINT. */
  readonly signal: AbortSignal;
  /** Removes the process handlers (tests, or once the process is done). */
  dispose(): void;
}

export interface SignalOptions {
  /** Called once, on the first signal, before parts are aborted (e.g. mark targets not ready). */
  readonly onShutdown?: () => void;
  /** Injected for tests; defaults to process.exit. */
  readonly exit?: (code: number) => void;
  readonly log?: Logger;
  readonly emitter?: Pick<NodeJS.Process, 'on' | 'off'>;
}

export function onTerminationSignals(options: SignalOptions = {}): ShutdownSignal {
  const log = options.log ?? logger('dapr.signals');
  const emitter = options.emitter ?? process;
  const exit = options.exit ?? ((code: number): void => process.exit(code));
  const controller = new AbortController();

  const handler = (sig: NodeJS.Signals): void => {
    const name = SIGNAL_NAMES[sig] ?? sig;
    if (controller.signal.aborted) {
      log.warn(`Received signal '${name}' during shutdown; exiting immediately`);
      exit(1);
      return;
    }
    log.info(`Received signal '${name}'; beginning shutdown`);
    options.onShutdown?.();
    controller.abort(new Error(`received signal ${name}`));
  };

  emitter.on('SIGTERM', handler);
  emitter.on('SIGINT', handler);
  return {
    signal: controller.signal,
    dispose: (): void => {
      emitter.off('SIGTERM', handler);
      emitter.off('SIGINT', handler);
    },
  };
}

const ignoreSignal = (): void => undefined;

/**
 * For a binary's main: keeps SIGTERM/SIGINT from killing the process by their default action.
 * onTerminationSignals' handlers are removed once the parts have stopped; a signal arriving in
 * the moment before process.exit (a second SIGTERM from a supervisor that signals both the
 * process group and the process) would otherwise turn a clean exit 0 into a death by signal.
 * While the handlers are installed they still run; this only adds a no-op listener. Not for
 * tests that run services in-process: the listener stays for the life of the process.
 */
export function holdTerminationSignals(emitter: Pick<NodeJS.Process, 'on'> = process): void {
  emitter.on('SIGTERM', ignoreSignal);
  emitter.on('SIGINT', ignoreSignal);
}
