import { expect, it } from "vitest";
import { YamlFile } from "../parse/yaml-file.ts";
import { frontendPublishOf } from "./frontend-port.ts";

const compose = (ports: string) =>
  new YamlFile("docker-compose.yml", `services:\n  web:\n    image: nginx\n    ports:\n${ports}`);

it("finds the host port compose publishes nginx's port 80 on, whatever the syntax", () => {
  const cases: [string, { port: number; loopbackOnly: boolean }][] = [
    ['      - "3000:80"\n', { port: 3000, loopbackOnly: false }],
    ['      - "443:443"\n      - "80:80"\n', { port: 80, loopbackOnly: false }],
    ['      - "127.0.0.1:8080:80/tcp"\n', { port: 8080, loopbackOnly: true }],
    ['      - "${WEB_PORT:-8088}:80"\n', { port: 8088, loopbackOnly: false }],
    [
      "      - target: 80\n        published: 3005\n        host_ip: 0.0.0.0\n",
      { port: 3005, loopbackOnly: false },
    ],
    // Not nginx's 80: the first port it publishes.
    ['      - "3000:3000"\n      - "3443:443"\n', { port: 3000, loopbackOnly: false }],
  ];
  for (const [ports, expected] of cases)
    expect(frontendPublishOf([compose(ports)], "web"), ports).toEqual(expected);
});

it("takes an override's ports too, and the runbook's 3000 where nothing fixed is published", () => {
  const override = new YamlFile("docker-compose.override.yml", 'services:\n  web:\n    ports: ["8081:80"]\n');
  expect(frontendPublishOf([compose('      - "443:443"\n'), override], "web").port).toBe(8081);
  // A port Docker picks, a variable with no default, no such service, no frontend at all.
  expect(frontendPublishOf([compose('      - "80"\n      - "${PORT}:80"\n')], "web").port).toBe(3000);
  expect(frontendPublishOf([compose('      - "80:80"\n')], "frontend").port).toBe(3000);
  expect(frontendPublishOf([compose('      - "80:80"\n')], undefined).port).toBe(3000);
});

it("on the host's own network, where nginx listens (its first listen), not any published port", () => {
  const hostNetwork = new YamlFile(
    "docker-compose.yml",
    'services:\n  web:\n    image: nginx\n    network_mode: host\n    ports: ["3000:80"]\n',
  );
  expect(frontendPublishOf([hostNetwork], "web", ["[::]:8080", "8081"])).toEqual({
    port: 8080,
    loopbackOnly: false,
  });
  expect(frontendPublishOf([hostNetwork], "web", ["127.0.0.1:3000"])).toEqual({
    port: 3000,
    loopbackOnly: true,
  });
  // nginx's own default when its server block says nothing.
  expect(frontendPublishOf([hostNetwork], "web", [])).toEqual({ port: 80, loopbackOnly: false });
});

it("reads a port variable from the compose project's .env, as compose does", () => {
  const fromEnv = compose('      - "${WEB_PORT}:80"\n');
  expect(frontendPublishOf([fromEnv], "web", [], new Map([["WEB_PORT", "8443"]])).port).toBe(8443);
  expect(
    frontendPublishOf([compose('      - "${WEB_PORT:-8088}:80"\n')], "web", [], new Map([["WEB_PORT", "81"]]))
      .port,
  ).toBe(81);
});
