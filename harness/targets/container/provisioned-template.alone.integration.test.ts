// The provisioned-host template: the first host for a stack is provisioned and captured, the next
// ones start as its copy, provisioned, with their own identity; a changed stack or a damaged template
// gets a new build (from a template of the same provisioning when there is one, converging to a
// fresh one), never a stale or broken copy. The stack is a copy of the bundled one with a file
// of this run's own, so its templates are this test's and it removes them.
import { randomBytes } from "node:crypto";
import { cp, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker } from "../../docker/docker-cli.ts";
import type { Host } from "../../host/host.ts";
import { ensureImages, imagesForHostEngine, type ResolvedImage } from "../../images/image-builder.ts";
import type { Service } from "../../images/catalogue.ts";
import { withTempDir } from "../../lifecycle/temp-dir.ts";
import { BUNDLED_STACK, openStackDir } from "../../stack/stack-layout.ts";
import { Stack } from "../../stack/stack.ts";
import { provisionedContent, provisionedFingerprint } from "../../testing/host-fingerprint.ts";
import type { HostProvisioning } from "../target.ts";
import { ContainerTarget } from "./container-target.ts";
import { HostTemplate } from "./host-template.ts";

const HELD = ["sattva-backend.service", "sattva-streamer.service"];

describe("provisioned-host template", () => {
  const target = new ContainerTarget();
  const hosts: Host[] = [];
  const templates: HostTemplate[] = [];
  let images: ReadonlyMap<Service, ResolvedImage>;
  let engine: HostTemplate;

  /** A host for the stack in `dir`, with its progress lines and the template it is keyed to. */
  async function start(dir: string) {
    const source = await openStackDir(dir);
    const provisioning: HostProvisioning = await Stack.provisioning(source, images);
    const template = engine.provisioned(provisioning);
    templates.push(template);
    const lines: string[] = [];
    const host = await target.start({
      images: imagesForHostEngine(images),
      provisioning,
      progress: (line) => lines.push(line),
    });
    hosts.push(host);
    return { host, progress: lines.join("\n"), template, stack: new Stack(host, source, images) };
  }

  /** What makes a host itself: machine-id, hostname, engine id, its bridge network's id. */
  function identity(host: Host): Promise<string[]> {
    return host
      .run(
        "cat /etc/machine-id; hostname; docker info --format '{{.ID}}'; " +
          "docker network inspect --format '{{.Id}}' bridge",
      )
      .then((result) => result.stdout.trim().split("\n"));
  }

  beforeAll(async () => {
    images = await ensureImages({ mode: "offline" });
    const hostImage = images.get("host")?.ref ?? "";
    const refs = imagesForHostEngine(images).flatMap((image) => image.ref ?? []);
    engine = await HostTemplate.engine(hostImage, refs);
  });

  afterAll(async () => {
    await Promise.all(hosts.map((host) => host.dispose()));
    await Promise.all(templates.map((template) => template.remove()));
  });

  it("is captured from the first host and copied into the next: provisioned, nothing to change, its own identity", async () => {
    await withTempDir("provisioned-template", async (dir) => {
      await cp(BUNDLED_STACK, dir, { recursive: true });
      await writeFile(path.join(dir, "this-test-only"), randomBytes(8).toString("hex"));

      const first = await start(dir);
      expect(first.progress).toMatch(
        new RegExp(
          `${first.template.title}: none for this stack yet[\\s\\S]*provisioned in [\\d.]+s \\(\\d+ change`,
        ),
      );
      const second = await start(dir);
      expect(second.template.key).toBe(first.template.key);
      expect(second.progress).toMatch(new RegExp(`provisioned: a copy of ${first.template.title}`));
      expect(second.progress).not.toMatch(/provisioning the stack|loaded into the inner engine/);

      // Provisioning on the copy finds nothing to change, and the copy holds what the first one does.
      const again = await second.stack.provision();
      expect(again.changes, again.output).toEqual([]);
      expect(await provisionedFingerprint(second.host)).toBe(await provisionedFingerprint(first.host));

      // As provisioning left them: the runbook's units enabled and not started (not masked), the timer on.
      for (const { host } of [first, second]) {
        for (const unit of HELD) {
          const state = await host.run(`systemctl is-enabled ${unit}; systemctl is-active ${unit}`, {
            check: false,
          });
          expect(state.stdout.trim().split("\n"), `${host.name}: ${unit}`).toEqual(["enabled", "inactive"]);
        }
        expect((await host.run("systemctl is-active yt-dlp-update.timer")).stdout.trim()).toBe("active");
      }

      const [one, two] = await Promise.all([identity(first.host), identity(second.host)]);
      expect(two).toHaveLength(4);
      two.forEach((value, i) => {
        expect(value, "the copy's own machine-id, hostname, engine id, bridge network").not.toBe(one[i]);
      });
      // Its journal is its own: nothing the first host logged came along.
      const journal = await second.host.run("journalctl --no-pager -o short | cat");
      expect(journal.stdout).toContain(second.host.name);
      expect(journal.stdout).not.toContain(first.host.name);
      expect((await second.host.run("ls /etc/ssh/ssh_host_* 2>/dev/null | wc -l")).stdout.trim()).toBe("0");

      // The stack starts on the copy in the documented order, as on a freshly provisioned host.
      const started = await second.stack.start();
      expect(
        started.steps.every((step) => step.exitCode === 0),
        JSON.stringify(started.steps),
      ).toBe(true);
    });
  });

  it("is rebuilt for a stack one byte apart, and when it is damaged, never used", async () => {
    await withTempDir("provisioned-template-stale", async (dir) => {
      await cp(BUNDLED_STACK, dir, { recursive: true });
      await writeFile(path.join(dir, "this-test-only"), randomBytes(8).toString("hex"));
      const built = await start(dir);
      expect(built.progress).toMatch(/none for this stack yet/);
      await built.host.dispose();

      const unit = path.join(dir, "systemd", "sattva-backend.service");
      await writeFile(unit, (await readFile(unit, "utf8")).replace("RestartSec=10", "RestartSec=11"));
      const changed = await start(dir);
      expect(changed.template.key).not.toBe(built.template.key);
      expect(changed.progress).toMatch(new RegExp(`${changed.template.title}: none for this stack yet`));
      expect((await changed.host.run("systemctl show -p RestartUSec sattva-backend.service")).stdout).toMatch(
        /RestartUSec=11s/,
      );
      // Started from the other stack's template (the same provisioning, one file apart) and provisioned
      // again: it holds what a host provisioned from nothing for this stack holds.
      expect(changed.progress).toMatch(new RegExp(`starts from ${built.template.title}`));
      const fresh = await target.start({ images: imagesForHostEngine(images) });
      hosts.push(fresh);
      await new Stack(fresh, await openStackDir(dir), images).provision();
      expect(await provisionedContent(changed.host)).toBe(await provisionedContent(fresh));
      await Promise.all([changed.host.dispose(), fresh.dispose()]);

      // A template whose image is gone (a crash between its two halves, an `image prune`) is rebuilt.
      await docker(["image", "rm", "-f", changed.template.image]);
      const rebuilt = await start(dir);
      expect(rebuilt.progress).toMatch(
        new RegExp(
          `${changed.template.title}: unfinished or damaged .*; rebuilding it[\\s\\S]*none for this stack yet`,
        ),
      );
    });
  });
});
