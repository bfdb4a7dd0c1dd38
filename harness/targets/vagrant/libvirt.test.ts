import { expect, it } from "vitest";
import { firewallChainRemovals, parseVolumeList, withQemuSettings } from "./libvirt.ts";

const STOCK = [
  "# Master configuration file for the QEMU driver.",
  '#user = "libvirt-qemu"',
  '#group = "libvirt-qemu"',
  '#security_driver = "selinux"',
  "",
].join("\n");

it("appends the settings to a stock qemu.conf, leaving its commented defaults alone", () => {
  const configured = withQemuSettings(STOCK);
  expect(configured.startsWith(STOCK)).toBe(true);
  expect(configured.split("\n").filter((line) => !line.startsWith("#") && line !== "")).toEqual([
    'user = "root"',
    'group = "root"',
    'security_driver = "none"',
  ]);
});

it("replaces active settings in place and changes nothing once they are set", () => {
  const edited =
    'user = "libvirt-qemu"\n  group="kvm"\nvnc_listen = "0.0.0.0"\nsecurity_driver = [ "apparmor" ]\n';
  const configured = withQemuSettings(edited);
  expect(configured).toBe(
    'user = "root"\ngroup = "root"\nvnc_listen = "0.0.0.0"\nsecurity_driver = "none"\n',
  );
  expect(withQemuSettings(configured)).toBe(configured);
  expect(withQemuSettings(withQemuSettings(STOCK))).toBe(withQemuSettings(STOCK));
});

it("adds a line break before the settings when the file lacks a final one", () => {
  expect(withQemuSettings('user = "root"')).toMatch(
    /^user = "root"\n\n# Set by sattva-chaos.*\ngroup = "root"\n/,
  );
});

it("reads volume names from a virsh vol-list table", () => {
  const table = [
    " Name                                                  Path",
    "------------------------------------------------------------------------------------------",
    " sattva-chaos-VAGRANTSLASH-debian-12-0123456789ab_vagrant_box_image_0_box.img   /pool/a.img",
    " sattva-chaos-vm-1a2b3c4d_default.img                 /pool/b.img",
    "",
  ].join("\n");
  expect(parseVolumeList(table)).toEqual([
    "sattva-chaos-VAGRANTSLASH-debian-12-0123456789ab_vagrant_box_image_0_box.img",
    "sattva-chaos-vm-1a2b3c4d_default.img",
  ]);
  expect(parseVolumeList(" Name   Path\n--------------\n\n")).toEqual([]);
});

it("removes libvirt's firewall chains after the jumps into them, leaving other chains alone", () => {
  const saved = [
    "*filter",
    ":INPUT ACCEPT [0:0]",
    ":DOCKER-USER - [0:0]",
    ":LIBVIRT_FWI - [0:0]",
    ":LIBVIRT_INP - [0:0]",
    "-A INPUT -j LIBVIRT_INP",
    "-A FORWARD -j DOCKER-USER",
    "-A FORWARD -j LIBVIRT_FWI",
    "-A LIBVIRT_FWI -o virbr1 -j REJECT --reject-with icmp-port-unreachable",
    "-A LIBVIRT_INP -i virbr1 -p udp -m udp --dport 53 -j ACCEPT",
    "COMMIT",
  ].join("\n");
  expect(firewallChainRemovals(saved)).toEqual([
    ["-D", "INPUT", "-j", "LIBVIRT_INP"],
    ["-D", "FORWARD", "-j", "LIBVIRT_FWI"],
    ["-F", "LIBVIRT_FWI"],
    ["-F", "LIBVIRT_INP"],
    ["-X", "LIBVIRT_FWI"],
    ["-X", "LIBVIRT_INP"],
  ]);
  expect(firewallChainRemovals("*nat\n:POSTROUTING ACCEPT [0:0]\nCOMMIT\n")).toEqual([]);
});
