/**
 * Disposables registered here are torn down (newest first) when the process gets SIGINT or SIGTERM,
 * so Ctrl-C in the middle of a run leaves nothing behind. Whatever a SIGKILL leaves, `clean` removes.
 * The handlers are installed only while something is registered, so an idle process keeps the
 * default behaviour of those signals.
 */
const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;
type Signal = keyof typeof SIGNAL_EXIT_CODES;
type Teardown = (signal: Signal) => Promise<void>;

const live = new Set<Teardown>();

function onSignal(signal: Signal): void {
  process.stderr.write(`\n${signal}: tearing down ${live.size} live resource(s)…\n`);
  const teardowns = [...live].reverse();
  live.clear();
  // One after the other: what was registered later may still be using what was registered earlier
  // (the scenario processes use the run's VM).
  void (async () => {
    // One that fails does not stop the others; what it left is said, for `clean` to finish.
    for (const teardown of teardowns)
      await teardown(signal).catch((error: unknown) => {
        process.stderr.write(
          `${signal}: a teardown failed (\`sattva-chaos clean\` removes what is left): ${error instanceof Error ? error.message : String(error)}\n`,
        );
      });
    process.exit(SIGNAL_EXIT_CODES[signal]);
  })();
}

function setHandlers(install: boolean): void {
  for (const signal of Object.keys(SIGNAL_EXIT_CODES) as Signal[]) {
    if (install) process.on(signal, onSignal);
    else process.off(signal, onSignal);
  }
}

/** Registers a teardown to run on SIGINT/SIGTERM (given the signal); call the returned function once it ran normally. */
export function teardownOnSignal(teardown: Teardown): () => void {
  if (live.size === 0) setHandlers(true);
  live.add(teardown);
  return () => {
    if (live.delete(teardown) && live.size === 0) setHandlers(false);
  };
}
