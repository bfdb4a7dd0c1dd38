import { describe, expect, it } from "vitest";
import { CommandError, tail } from "./command.ts";
import { runLocal } from "./local-command.ts";
import { EnvironmentError } from "../errors.ts";

describe("runLocal", () => {
  it("returns exit code, output and duration of a successful command", async () => {
    const result = await runLocal("bash", ["-c", "echo out; echo err >&2"], { host: "h1", display: "greet" });
    expect(result).toMatchObject({
      host: "h1",
      command: "greet",
      exitCode: 0,
      stdout: "out\n",
      stderr: "err\n",
      timedOut: false,
    });
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
  });

  it("raises one CommandError carrying host, command, exit code, output tail and duration", async () => {
    const failing = runLocal("bash", ["-c", "seq 1 50; echo boom >&2; exit 7"], {
      host: "vps-1",
      display: "count",
    });
    const error = await failing.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommandError);
    const commandError = error as CommandError;
    expect(commandError).toMatchObject({ host: "vps-1", command: "count", exitCode: 7 });
    expect(commandError.message).toMatch(/^\[vps-1\] command exited with 7 after \d+\.\ds: count\n/);
    expect(commandError.message).toContain("boom");
    expect(commandError.message).not.toContain("\n1\n");
  });

  it("returns the failed result instead of throwing when check is false", async () => {
    const result = await runLocal("bash", ["-c", "exit 3"], { check: false });
    expect(result.exitCode).toBe(3);
  });

  it("marks a command killed at its deadline as timed out", async () => {
    const error = (await runLocal("sleep", ["5"], { timeoutMs: 200 }).catch(
      (e: unknown) => e,
    )) as CommandError;
    expect(error.timedOut).toBe(true);
    expect(error.message).toContain("timed out");
  });

  it("feeds input to the command", async () => {
    expect((await runLocal("cat", [], { input: "hello" })).stdout).toBe("hello");
  });

  it("says which program is missing", async () => {
    await expect(runLocal("no-such-program-xyz", [])).rejects.toThrow(EnvironmentError);
    await expect(runLocal("no-such-program-xyz", [])).rejects.toThrow(
      /"no-such-program-xyz" was not found on PATH/,
    );
  });
});

describe("tail", () => {
  it("keeps short output whole and cuts long output to its last lines", () => {
    expect(tail("a\nb\n")).toBe("a\nb");
    const long = Array.from({ length: 30 }, (_, i) => `line ${i}`).join("\n");
    const cut = tail(long, 3).split("\n");
    expect(cut).toEqual(["…", "line 27", "line 28", "line 29"]);
  });
});
