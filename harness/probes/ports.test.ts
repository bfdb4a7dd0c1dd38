import { expect, it } from "vitest";
import type { Host } from "../host/host.ts";
import { describeListeners, listenersOn } from "./ports.ts";

/** A host whose every command prints `stdout` (lsof's machine-readable output here). */
function hostPrinting(stdout: string): Host {
  return {
    run: (command: string) =>
      Promise.resolve({
        host: "fake",
        command,
        exitCode: 0,
        stdout,
        stderr: "",
        durationMs: 0,
        timedOut: false,
      }),
  } as unknown as Host;
}

it("reads every listener with its process from lsof's -Fpcn output", async () => {
  const lsof = "p812\ncpython\nn*:8000\np4301\ncdocker-proxy\nn127.0.0.1:8000\nn[::1]:8000\n";
  const listeners = await listenersOn(hostPrinting(lsof), 8000);
  expect(listeners).toEqual([
    { pid: "812", command: "python", address: "*:8000" },
    { pid: "4301", command: "docker-proxy", address: "127.0.0.1:8000" },
    { pid: "4301", command: "docker-proxy", address: "[::1]:8000" },
  ]);
  expect(describeListeners(listeners)).toBe("*:8000, 127.0.0.1:8000, [::1]:8000");
});

it("names a socket shared by a pre-forking server's processes once", async () => {
  const lsof = "p900\ngunicorn\nn127.0.0.1:8000\np901\ngunicorn\nn127.0.0.1:8000\n";
  expect(describeListeners(await listenersOn(hostPrinting(lsof), 8000))).toBe("127.0.0.1:8000");
});

it("says nothing listens when lsof finds no one", async () => {
  expect(describeListeners(await listenersOn(hostPrinting(""), 8000))).toBe("nothing");
});
