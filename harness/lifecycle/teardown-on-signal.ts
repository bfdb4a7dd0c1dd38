/**
 * Disposables registered here are torn down (newest first) when the process gets SIGINT or SIGTERM,
 * so Ctrl-C in the middle of a run leaves nothing behind. Whatever a SIGKILL leaves, `clean` removes.
 * The handlers are installed only while something is registered, so an idle process keeps the
 * default behaviour of those signals.
 */
const live = new Set<() => Promise<void>>();

const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;
type Signal = keyof typeof SIGNAL_EXIT_CODES;

function onSignal(signal: Signal): void {
  process.stderr.write(`\n${signal}: tearing down ${live.size} live resource(s)…\n`);
  const teardowns = [...live].reverse();
  live.clear();
  void Promise.allSettled(teardowns.map((teardown) => teardown())).finally(() =>
    process.exit(SIGNAL_EXIT_CODES[signal]),
  );
}

function setHandlers(install: boolean): void {
  for (const signal of Object.keys(SIGNAL_EXIT_CODES) as Signal[]) {
    if (install) process.on(signal, onSignal);
    else process.off(signal, onSignal);
  }
}

/** Registers a teardown to run on SIGINT/SIGTERM; call the returned function once it ran normally. */
export function teardownOnSignal(teardown: () => Promise<void>): () => void {
  if (live.size === 0) setHandlers(true);
  live.add(teardown);
  return () => {
    if (live.delete(teardown) && live.size === 0) setHandlers(false);
  };
}
