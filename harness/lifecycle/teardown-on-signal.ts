/**
 * Disposables registered here are torn down (newest first) when the process gets SIGINT or SIGTERM,
 * so Ctrl-C in the middle of a run leaves nothing behind. Whatever a SIGKILL leaves, `clean` removes.
 */
const live = new Set<() => Promise<void>>();
let installed = false;

const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

function install(): void {
  if (installed) return;
  installed = true;
  for (const [signal, exitCode] of Object.entries(SIGNAL_EXIT)) {
    process.once(signal, () => {
      process.stderr.write(`\n${signal}: tearing down ${live.size} live resource(s)…\n`);
      const teardowns = [...live].reverse();
      live.clear();
      void Promise.allSettled(teardowns.map((teardown) => teardown())).finally(() => process.exit(exitCode));
    });
  }
}

/** Registers a teardown to run on SIGINT/SIGTERM; call the returned function once it ran normally. */
export function teardownOnSignal(teardown: () => Promise<void>): () => void {
  install();
  live.add(teardown);
  return () => live.delete(teardown);
}
