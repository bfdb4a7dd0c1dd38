import { connect, createServer, type AddressInfo, type Socket } from "node:net";
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

/** A server on this machine's loopback whose next connection's close is reported. */
async function serverSeeingCloses(onConnection: (socket: Socket) => void) {
  const closed: Promise<void>[] = [];
  const server = createServer((socket) => {
    closed.push(
      new Promise((resolve) =>
        socket.once("close", () => {
          resolve();
        }),
      ),
    );
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as AddressInfo).port, closed };
}

it("ends the server's connection when the client closes its own", { timeout: 20_000 }, async () => {
  const { server, port, closed } = await serverSeeingCloses((socket) =>
    socket.on("data", (d) => socket.write(d)),
  );
  // As with `docker exec`, killing the local process does not signal the relay: its stdin just ends.
  const relays = new LoopbackRelays((script) => ["sh", "-c", 'trap "" TERM; bash -c "$1"', "sh", script]);
  try {
    const local = await relays.port(port);
    expect(await roundTrip(local, "ping")).toBe("ping");
    await closed[0];
    expect(closed).toHaveLength(1);
  } finally {
    await relays.close();
    server.close();
  }
});

it(
  "ends the client's connection when the server closes its own, even before the relay waits",
  { timeout: 20_000 },
  async () => {
    const { server, port } = await serverSeeingCloses((socket) => socket.end("bye"));
    // A relay slow to reach its final wait (a loaded machine): the server has closed by then, a race
    // the relay once lost, hanging for ever.
    const relays = new LoopbackRelays((script) => [
      "bash",
      "-c",
      script.replace(/^wait.*$/m, "sleep 0.3; $&"),
    ]);
    try {
      const local = await relays.port(port);
      for (let attempt = 0; attempt < 3; attempt++) {
        const socket = connect(local, "127.0.0.1");
        const said: Buffer[] = [];
        socket.on("data", (data: Buffer) => said.push(data));
        // The client sends nothing: only the server's close can end the connection.
        await new Promise((resolve) => socket.once("close", resolve));
        expect(Buffer.concat(said).toString()).toBe("bye");
      }
    } finally {
      await relays.close();
      server.close();
    }
  },
);
