// The offline box as Vagrant sees it: built from its recipe, registered, a 20 GiB qcow2 disk with a
// bootable partition. In the `vm` project (.ci/vagrant): it needs qemu-img and Vagrant. Booting is
// vagrant-target.vm.test.ts's: its VMs come from a template of this same root filesystem, assembled
// into a disk by the same steps, and must leave nothing behind once destroyed.
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import path from "node:path";
import { expect, it } from "vitest";
import { runLocal } from "../../host/local-command.ts";
import { ensureBox, registeredBoxes } from "./box.ts";

it("builds the box once and registers it with Vagrant: a qcow2 disk of 20 GiB with its metadata", async () => {
  const box = await ensureBox((line) => process.stderr.write(`${line}\n`));
  expect(await registeredBoxes()).toContain(box.name);
  const again: string[] = [];
  await ensureBox((line) => again.push(line));
  expect(again.join("\n"), "cached by its recipe's hash").toMatch(/cached[\s\S]*registered with Vagrant$/);

  // Where Vagrant unpacked it (~/.vagrant.d/boxes/<name with / spelled -VAGRANTSLASH->/0/libvirt).
  const dir = path.join(
    homedir(),
    ".vagrant.d",
    "boxes",
    box.name.replaceAll("/", "-VAGRANTSLASH-"),
    "0",
    "libvirt",
  );
  expect(JSON.parse(await readFile(path.join(dir, "metadata.json"), "utf8"))).toEqual({
    provider: "libvirt",
    format: "qcow2",
    virtual_size: 20,
  });
  const info = JSON.parse(
    (await runLocal("qemu-img", ["info", "--output=json", path.join(dir, "box.img")])).stdout,
  ) as { format: string; "virtual-size": number };
  expect(info.format).toBe("qcow2");
  expect(info["virtual-size"]).toBe(20 * 1024 ** 3);
  expect((await runLocal("qemu-img", ["check", path.join(dir, "box.img")])).stdout).toMatch(/No errors/);
});
