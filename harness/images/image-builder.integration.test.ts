import { expect, it } from "vitest";
import { ExitCode } from "../errors.ts";
import { sattvaChaos } from "../testing/cli.ts";
import { SERVICES } from "./catalogue.ts";

it("`images build` twice in a row: the second run rebuilds nothing", async () => {
  const first = await sattvaChaos(["images", "build"]);
  expect(first.exitCode, first.stderr).toBe(ExitCode.passed);

  const second = await sattvaChaos(["images", "build"]);
  expect(second.exitCode, second.stderr).toBe(ExitCode.passed);
  const lines = second.stderr.split("\n");
  for (const [index, service] of SERVICES.entries()) {
    const line = lines.find((l) => l.startsWith(`[${index + 1}/${SERVICES.length}] ${service} `));
    expect(line, `progress line for ${service}`).toMatch(
      service === "grafana" ? /skipped: no image offline/ : /sattva-chaos\/\S+:[0-9a-f]{12} {2}cached$/,
    );
  }
  expect(second.stderr).toMatch(/ {6}base {10}sattva-chaos\/base:[0-9a-f]{12} {2}cached/);
  expect(second.stderr).not.toMatch(/building|built in/);
});
