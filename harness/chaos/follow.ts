import { shellQuote } from "../host/shell.ts";

/**
 * A bash script that watches `command` (one that follows forever: `journalctl -f`, `docker logs -f`)
 * as an engineer would: until `until` appears in what it printed, or for `atMostMs`, then Ctrl-C
 * (SIGINT to its process group). Prints what the command printed (stdout, then stderr) and exits with
 * the command's status, 0 when it ended at that Ctrl-C.
 */
export function followScript(command: string, until: string, atMostMs: number): string {
  // Microseconds since the epoch, whatever the locale's decimal separator.
  const now = "${EPOCHREALTIME//[!0-9]/}";
  return [
    // Job control, so the background command keeps SIGINT's default action and has its own group.
    "set -m",
    "out=$(mktemp) err=$(mktemp)",
    `{ ${command}; } >"$out" 2>"$err" &`,
    // No job notices ("[1]+ Interrupt") on stderr once it is started.
    "pid=$!; set +m",
    `end=$((${now} + ${Math.round(atMostMs) * 1000}))`,
    `until grep -qsF -- ${shellQuote(until)} "$out" "$err" || ! kill -0 "$pid" 2>/dev/null || [ "${now}" -ge "$end" ]; do sleep 0.2; done`,
    'kill -INT -- -"$pid" 2>/dev/null && stopped=1',
    'wait "$pid"; status=$?',
    'cat "$out"; cat "$err" >&2; rm -f "$out" "$err"',
    // 130: killed by the SIGINT sent above, the watch ending rather than the command failing.
    'if [ -n "${stopped:-}" ] && [ "$status" -eq 130 ]; then status=0; fi',
    'exit "$status"',
  ].join("\n");
}
