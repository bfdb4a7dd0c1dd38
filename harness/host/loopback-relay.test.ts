import { connect, createServer, type AddressInfo } from "node:net";
import { execa } from "execa";
import { expect, it } from "vitest";
import { LoopbackRelays } from "./loopback-relay.ts";

/** Sends a line through a TCP port and returns the answer. */
function roundTrip(port: number, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(line));
    socket.once("data", (data) => {
      resolve(data.toString());
      socket.end();
    });
    socket.once("error", reject);
  });
}

it("relays a connection to a port on the host's loopback through a process run there, and stops on close", async () => {
  // "The host" is this machine, reached through bash: what docker exec or ssh would run.
  const echo = createServer((socket) => socket.on("data", (data) => socket.write(`echo ${data.toString()}`)));
  await new Promise<void>((resolve) => echo.listen(0, "127.0.0.1", resolve));
  const target = (echo.address() as AddressInfo).port;
  const relays = new LoopbackRelays((script) => ["bash", "-c", script]);
  try {
    const local = await relays.port(target);
    expect(local).not.toBe(target);
    expect(await relays.port(target)).toBe(local);
    expect(await roundTrip(local, "hello")).toBe("echo hello");
    expect(await roundTrip(local, "again")).toBe("echo again");
    await relays.close();
    await expect(roundTrip(local, "closed")).rejects.toThrow(/ECONNREFUSED/);
    await relays.close();
  } finally {
    echo.close();
  }
});

it(
  "does not keep a process alive by listening: a command that leaves a host up still exits",
  { timeout: 30_000 },
  async () => {
    const script = `
    import { createServer } from "node:net";
    import { LoopbackRelays } from ${JSON.stringify(new URL("./loopback-relay.ts", import.meta.url).href)};
    const server = createServer((socket) => socket.end("hi"));
    await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
    const relays = new LoopbackRelays((line) => ["bash", "-c", line]);
    process.stdout.write(String(await relays.port(server.address().port)));
    server.close();
  `;
    // Without its relays unref'd the child never exits, and execa's timeout fails the test.
    const child = await execa(process.execPath, ["--input-type=module", "-e", script], { timeout: 20_000 });
    expect(Number(child.stdout)).toBeGreaterThan(0);
    expect(child.exitCode).toBe(0);
  },
);
