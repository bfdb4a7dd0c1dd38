import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { followScript } from "./follow.ts";

// "The host" is this machine's bash, as docker exec or ssh would run the script there.
async function watch(command: string, until: string, atMostMs: number) {
  const started = performance.now();
  const result = await execa("bash", ["-c", followScript(command, until, atMostMs)], { reject: false });
  const { exitCode, stdout, stderr } = result;
  return { exitCode, stdout, stderr, seconds: (performance.now() - started) / 1000 };
}

/** Prints a line on stdout and one on stderr, then `later` after a second, then follows forever. */
const forever = (later: string) =>
  `bash -c 'echo first; echo to-stderr >&2; sleep 1; echo ${later}; exec sleep 60'`;

describe("followScript", () => {
  it("stops the command with Ctrl-C once the awaited text appears, and keeps its output and streams", async () => {
    const watched = await watch(forever("Scheduled restart job"), "Scheduled restart job", 20_000);
    expect(watched.exitCode, "the watch ending is not the command failing").toBe(0);
    expect(watched.stdout).toBe("first\nScheduled restart job");
    expect(watched.stderr).toBe("to-stderr");
    expect(watched.seconds).toBeLessThan(10);
  });

  it("finds the awaited text on stderr too (nginx logs its errors there)", async () => {
    const watched = await watch(forever("more"), "to-stderr", 20_000);
    expect(watched.exitCode).toBe(0);
    expect(watched.stdout).toBe("first");
    expect(watched.seconds).toBeLessThan(10);
  });

  it("gives up after the window when the text never appears, with what was printed", async () => {
    const watched = await watch(forever("something else"), "never printed", 2_500);
    expect(watched.exitCode).toBe(0);
    expect(watched.stdout).toBe("first\nsomething else");
    expect(watched.seconds).toBeGreaterThanOrEqual(2.5);
    expect(watched.seconds).toBeLessThan(10);
  });

  it("reports the command's own failure when it ends by itself", async () => {
    const watched = await watch("echo 'No journal files were found.' >&2; exit 1", "never printed", 20_000);
    expect(watched.exitCode).toBe(1);
    expect(watched.stderr).toBe("No journal files were found.");
    expect(watched.seconds).toBeLessThan(10);
  });

  it("takes the awaited text literally, quotes and all", async () => {
    const watched = await watch(
      `bash -c "echo \\"it's (111: refused)\\"; exec sleep 60"`,
      "it's (111:",
      20_000,
    );
    expect(watched.stdout).toBe("it's (111: refused)");
    expect(watched.seconds).toBeLessThan(10);
  });
});
