// The host engine template: built by the first host that needs it, copied into each later one, and
// never used when it is unfinished or damaged. Its own image set (nginx only), so it does not disturb
// the suite's template for the 7 service images.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker } from "../../docker/docker-cli.ts";
import { Label, labelArgs } from "../../docker/labels.ts";
import type { Host } from "../../host/host.ts";
import { ensureImages, type ResolvedImage } from "../../images/image-builder.ts";
import { sattvaChaos } from "../../testing/cli.ts";
import { ContainerTarget } from "./container-target.ts";
import { HostTemplate } from "./host-template.ts";

describe("host engine template", () => {
  const target = new ContainerTarget();
  const hosts: Host[] = [];
  let nginx: ResolvedImage & { ref: string };
  let hostImage: string;
  let template: HostTemplate;

  /** Boots a host with the nginx image and returns it with its progress lines. */
  async function start(): Promise<{ host: Host; lines: string[] }> {
    const lines: string[] = [];
    const host = await target.start({ images: [nginx], progress: (line) => lines.push(line) });
    hosts.push(host);
    return { host, lines };
  }

  /** Runs a shell script over the template volume, as a crash or a full disk might leave it. */
  async function damage(script: string): Promise<void> {
    await docker([
      "run",
      "--rm",
      "-v",
      `${template.volume}:/t`,
      "--entrypoint",
      "sh",
      hostImage,
      "-c",
      script,
    ]);
  }

  beforeAll(async () => {
    const images = await ensureImages({ mode: "offline", services: ["host", "nginx"] });
    const [host, image] = [images.get("host")?.ref, images.get("nginx")];
    if (host === undefined || image?.ref === undefined) throw new Error("the host or nginx image is missing");
    [hostImage, nginx] = [host, { ...image, ref: image.ref }];
    template = await HostTemplate.engine(hostImage, [nginx.ref]);
    await template.remove();
  });

  afterAll(async () => {
    await Promise.all(hosts.map((host) => host.dispose()));
    await template.remove();
  });

  it("is built by the first host and copied into the next, which loads nothing and keeps its own identity", async () => {
    const first = await start();
    expect(first.lines.join("\n")).toMatch(new RegExp(`engine template ${template.key}: built in`));
    const second = await start();
    const progress = second.lines.join("\n");
    expect(progress).toMatch(
      new RegExp(`engine copied from engine template ${template.key} \\(1 image\\(s\\)\\)`),
    );
    expect(progress).not.toMatch(/building it|loaded into the inner engine/);

    for (const { host } of [first, second]) {
      expect((await host.run(`docker run --rm ${nginx.ref} nginx -v`)).stderr).toMatch(/nginx version/);
      expect((await host.run("systemctl is-system-running")).stdout.trim()).toBe("running");
    }
    const identity = (host: Host) =>
      host.run("cat /etc/machine-id; hostname; docker info --format '{{.ID}}'").then((r) => r.stdout);
    const [one, two] = (await Promise.all([identity(first.host), identity(second.host)])).map((out) =>
      out.trim().split("\n"),
    );
    expect(one, "machine-id, hostname, engine id").toHaveLength(3);
    one?.forEach((line, i) => {
      expect(line, "each host's own machine-id, hostname and engine id").not.toBe(two?.[i]);
    });
    // Each host has its own copy: what one does to its engine, the other does not see.
    await first.host.run(`docker tag ${nginx.ref} only-on-the-first-host`);
    const onSecond = await second.host.run("docker image inspect only-on-the-first-host", { check: false });
    expect(onSecond.exitCode).not.toBe(0);

    const listed = await sattvaChaos(["images", "list"]);
    expect(listed.stdout).toMatch(new RegExp(`${template.key}  engine +volume ${template.volume}`));
  });

  it("rebuilds a template whose build died before its end, never using it", async () => {
    await template.remove();
    await docker([
      "volume",
      "create",
      ...labelArgs({ [Label.managed]: "true", [Label.keep]: "true", [Label.template]: template.key }),
      template.volume,
    ]);
    const { host, lines } = await start();
    expect(lines.join("\n")).toMatch(
      new RegExp(`engine template ${template.key}: unfinished or damaged .*; rebuilding it[\\s\\S]*built in`),
    );
    await host.run(`docker image inspect ${nginx.ref}`);
  });

  it("drops a template that lacks an image it was made for, and the host loads the image itself", async () => {
    await damage("rm /t/image/overlay2/repositories.json");
    const { host, lines } = await start();
    expect(lines.join("\n")).toMatch(
      new RegExp(`engine template ${template.key} lacked ${nginx.ref}; dropped to be rebuilt`),
    );
    await host.run(`docker image inspect ${nginx.ref}`);
    expect((await HostTemplate.list()).map((t) => t.key)).not.toContain(template.key);
  });
});
