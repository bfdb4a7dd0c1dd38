import { createServer as createHttpServer } from "node:http";
import { createServer, type Server } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { probeHost, probePort } from "./port-probe.ts";

const servers: Server[] = [];

/** A loopback server speaking like `speak`; resolves with its port. */
async function listen(server: Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

const ports: Record<string, number> = {};

beforeAll(async () => {
  ports["http"] = await listen(
    createHttpServer((request, response) => {
      if (request.url === "/prometheus/api/v1/status/buildinfo") {
        response.writeHead(200, { Server: "nginx/1.22.1", "Content-Type": "application/json" });
        response.end('{"status":"success","data":{"version":"2.53.0"}}');
        return;
      }
      response.writeHead(404, { Server: "nginx/1.22.1" });
      response.end("not here");
    }),
  );
  // Speaks first, as sshd does.
  ports["ssh"] = await listen(createServer((socket) => socket.end("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n")));
  // PostgreSQL: drops what is not a startup packet, answers the SSLRequest with one byte.
  ports["postgres"] = await listen(
    createServer((socket) => {
      socket.once("data", (data) => {
        if (data.length === 8 && data.readUInt32BE(4) === 80877103) socket.end("N");
        else socket.destroy();
      });
    }),
  );
  // Redis: an error for what it does not know, PONG for PING.
  ports["redis"] = await listen(
    createServer((socket) => {
      socket.on("data", (data) => {
        socket.write(data.toString().startsWith("PING") ? "+PONG\r\n" : "-ERR unknown command\r\n");
      });
    }),
  );
  ports["silent"] = await listen(createServer(() => undefined));
  const closed = createServer();
  ports["closed"] = await listen(closed);
  await new Promise((resolve) => closed.close(resolve));
});

afterAll(() => {
  for (const server of servers) server.close();
});

it("tells what answers on a port the way each protocol is spoken, and what does not", async () => {
  const names = ["http", "ssh", "postgres", "redis", "silent", "closed"];
  // Side by side: a silent server costs each attempt its whole timeout.
  const answers = await Promise.all(names.map((name) => probePort("127.0.0.1", ports[name] ?? 0, 800)));
  const by = Object.fromEntries(names.map((name, i) => [name, answers[i]]));
  expect(by["http"]).toMatchObject({ answered: true, protocol: "http", what: "HTTP 404 (nginx/1.22.1)" });
  expect(by["ssh"]).toMatchObject({
    answered: true,
    protocol: "ssh",
    what: "SSH (SSH-2.0-OpenSSH_9.2p1 Debian-2)",
  });
  expect(by["postgres"]).toMatchObject({
    answered: true,
    protocol: "postgresql",
    what: "PostgreSQL (its SSLRequest answered N: no TLS)",
  });
  expect(by["redis"]).toMatchObject({
    answered: true,
    protocol: "redis",
    what: "Redis (PING answered +PONG: no password)",
  });
  expect(by["silent"]).toMatchObject({
    answered: true,
    protocol: "tcp",
    what: "TCP open, no known protocol",
  });
  expect(by["closed"]).toEqual({
    port: ports["closed"],
    answered: false,
    what: "closed (connection refused)",
  });
});

it("asks for paths as a browser would, with the status, the server and the start of the body", async () => {
  const port = ports["http"] ?? 0;
  const { ports: answers, paths } = await probeHost(
    "127.0.0.1",
    {
      ports: [port],
      paths: [
        { port, path: "/prometheus/api/v1/status/buildinfo" },
        { port, path: "/elsewhere" },
        { port: ports["closed"] ?? 0, path: "/" },
      ],
    },
    800,
  );
  expect(answers.map((a) => a.what)).toEqual(["HTTP 404 (nginx/1.22.1)"]);
  expect(paths).toEqual([
    {
      port,
      path: "/prometheus/api/v1/status/buildinfo",
      status: 200,
      what: "HTTP 200 (nginx/1.22.1)",
      body: '{"status":"success","data":{"version":"2.53.0"}}',
    },
    { port, path: "/elsewhere", status: 404, what: "HTTP 404 (nginx/1.22.1)", body: "not here" },
    { port: ports["closed"], path: "/", what: "not reached (ECONNREFUSED)", body: "" },
  ]);
});
