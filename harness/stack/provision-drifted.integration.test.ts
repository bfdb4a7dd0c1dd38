import { fileURLToPath } from "node:url";
import { expect, test } from "../scenario/scenario-test.ts";
import { openStackDir } from "./stack-layout.ts";
import { Stack } from "./stack.ts";

const DRIFTED_STACK = fileURLToPath(new URL("../../fixtures/stacks/drifted/", import.meta.url));

test("a drifted checkout is provisioned as production would be, and a second run changes nothing", async ({
  host,
  images,
}) => {
  const stack = new Stack(host, await openStackDir(DRIFTED_STACK), images);

  const first = await stack.provision();
  expect(first.changes).toEqual(
    expect.arrayContaining([
      "user sattva created",
      "env file .env (test values)",
      "unit ytdlp-refresh.timer",
      "ytdlp-refresh.timer enabled",
      "timer ytdlp-refresh.timer started",
      "compose override: worker adminer unavailable",
    ]),
  );
  // The streamer unit has no [Install] section: it cannot be enabled, as in production.
  expect(first.output).toContain("skipped: sattva-streamer.service cannot be enabled");
  // The env file holds test values from the example, never a real secret.
  const env = await host.run(`cat ${stack.root}/.env`);
  expect(env.stdout).toContain("BOT_TOKEN=sattva-chaos-test-bot-token");
  // The update script keeps the checkout's mode: no exec bit, as in production.
  expect((await host.run(`stat -c %a ${stack.root}/ops/update-ytdlp.sh`)).stdout.trim()).toBe("644");

  const second = await stack.provision();
  expect(second.changes, second.output).toEqual([]);
});
