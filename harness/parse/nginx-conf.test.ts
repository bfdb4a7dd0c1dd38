import { describe, expect, it } from "vitest";
import {
  findDirectives,
  NginxParseError,
  parseNginxConf,
  proxiedLocations,
  proxyReadTimeout,
} from "./nginx-conf.ts";

describe("parseNginxConf", () => {
  it("reads directives, blocks and their lines, with comments and quoted arguments", () => {
    const conf = parseNginxConf(
      `# the server\nserver {\n  listen 80;\n  location /api/ {\n    proxy_pass http://172.17.0.1:8000; # backend\n    add_header X-A "a ; {b}";\n  }\n}\n`,
    );
    const [server] = conf;
    expect(server).toMatchObject({ name: "server", line: 2 });
    const proxy = findDirectives(conf, "proxy_pass");
    expect(
      proxy.map(({ directive, parents }) => [directive.args, directive.line, parents.map((p) => p.name)]),
    ).toEqual([[["http://172.17.0.1:8000"], 5, ["server", "location"]]]);
    expect(findDirectives(conf, "add_header")[0]?.directive.args).toEqual(["X-A", "a ; {b}"]);
  });

  it("keeps ${variables} whole", () => {
    expect(findDirectives(parseNginxConf("set $u http://${host}:8000;"), "set")[0]?.directive.args).toEqual([
      "$u",
      "http://${host}:8000",
    ]);
  });

  it("names the line of a syntax error", () => {
    expect(() => parseNginxConf("server {\n  listen 80;\n")).toThrow(NginxParseError);
    expect(() => parseNginxConf("server {\n  listen 80;\n")).toThrow(
      'unexpected end of file, expecting "}" (line 2)',
    );
    expect(() => parseNginxConf("listen 80;\n}\n")).toThrow('unexpected "}" (line 2)');
    expect(() => parseNginxConf("listen 80\n")).toThrow('"listen" has no ";" or "{" (line 1)');
    expect(() => parseNginxConf('add_header "x;\n')).toThrow("unterminated");
  });
});

describe("proxiedLocations", () => {
  it("lists prefix locations that proxy, with their targets through upstream blocks; regex ones are not paths", () => {
    const conf = parseNginxConf(`
upstream metrics { server prometheus:9090; keepalive 4; }
server {
  location / { try_files $uri /index.html; }
  location /api/ { proxy_pass http://172.17.0.1:8000; }
  location ^~ /prometheus/ { proxy_pass http://metrics/; }
  location = /am { proxy_pass http://alertmanager:9093/; auth_basic "team"; }
  location ~ ^/grafana/ { proxy_pass http://grafana:3000; }
  location /dyn/ { proxy_pass http://$backend; }
}`);
    expect(proxiedLocations(conf).map((l) => [l.prefix, l.url, l.target, l.guarded])).toEqual([
      ["/api/", "http://172.17.0.1:8000", { host: "172.17.0.1", port: 8000 }, false],
      ["/prometheus/", "http://metrics/", { host: "prometheus", port: 9090 }, false],
      ["/am", "http://alertmanager:9093/", { host: "alertmanager", port: 9093 }, true],
      ["/dyn/", "http://$backend", undefined, false],
    ]);
  });
});

describe("proxyReadTimeout", () => {
  it("is the API location's, else the server's, else nginx's 60 s", () => {
    expect(proxyReadTimeout(parseNginxConf("server { location /api/ { proxy_pass http://b; } }"))).toBe(60);
    expect(
      proxyReadTimeout(
        parseNginxConf(
          "server { proxy_read_timeout 2m; location /ws/ { proxy_read_timeout 1h; } location /api { proxy_pass http://b; } }",
        ),
      ),
    ).toBe(120);
    expect(
      proxyReadTimeout(
        parseNginxConf("server { proxy_read_timeout 2m; location /api/ { proxy_read_timeout 30s; } }"),
      ),
    ).toBe(30);
  });
});
