import { constants } from "node:fs";
import { access, statfs } from "node:fs/promises";
import { docker, HOW_TO_START } from "../docker/docker-cli.ts";
import type { ImageMode } from "../images/catalogue.ts";
import { imagesToMake } from "../images/image-builder.ts";
import { findChromium, CHROMIUM_MISSING } from "../report/chromium.ts";
import { defaultJobs, thisMachine } from "../scenario/jobs.ts";
import { machineResolver } from "../targets/container/resolver.ts";
import { SshTarget } from "../targets/ssh/ssh-target.ts";
import type { Target } from "../targets/target.ts";
import { currentBox, registeredBoxes } from "../targets/vagrant/box.ts";
import { installLibvirt, libvirtPrograms } from "../targets/vagrant/libvirt.ts";
import { vagrantDriver } from "../targets/vagrant/vagrant-target.ts";
import { findProgram } from "../host/find-program.ts";
import { runLocal } from "../host/local-command.ts";
import type { PreflightCheck, PreflightResult } from "./preflight.ts";

const GIB = 1024 ** 3;
/** The oldest engine the harness is known to work with (Debian 12's docker.io). */
const MIN_DOCKER = [20, 10] as const;

const ok = (check: string, detail: string): PreflightResult => ({ check, status: "ok", detail });

/** The engine and its version, and the free space where it keeps images. */
const dockerEngine: PreflightCheck = {
  check: "Docker engine",
  async run() {
    const info = await docker(
      ["info", "--format", "{{.ServerVersion}}|{{.CgroupVersion}}|{{.DockerRootDir}}"],
      { check: false, timeoutMs: 15_000 },
    );
    if (info.exitCode !== 0)
      return {
        check: this.check,
        status: "missing",
        detail: `not running or not reachable (${info.stderr.trim().split("\n").at(-1) ?? "no answer"})`,
        fix: HOW_TO_START,
      };
    const [version = "", cgroup = "", root = "/var/lib/docker"] = info.stdout.trim().split("|");
    const [major = 0, minor = 0] = version.split(".").map(Number);
    // The cgroup version is said, not judged: host containers run systemd on v1 and v2 alike here.
    const results: PreflightResult[] = [
      major > MIN_DOCKER[0] || (major === MIN_DOCKER[0] && minor >= MIN_DOCKER[1])
        ? ok(this.check, `Docker ${version}, cgroup v${cgroup}`)
        : {
            check: this.check,
            status: "missing",
            detail: `Docker ${version} is older than ${MIN_DOCKER.join(".")}`,
            fix: "install a newer docker.io (Debian 12's is 20.10)",
          },
    ];
    const free = await statfs(root).then(
      (s) => s.bavail * s.bsize,
      () => undefined,
    );
    if (free !== undefined)
      results.push(
        free >= 10 * GIB
          ? ok("disk space", `${(free / GIB).toFixed(0)} GiB free in ${root}`)
          : {
              check: "disk space",
              status: free >= 3 * GIB ? "warning" : "missing",
              detail: `${(free / GIB).toFixed(1)} GiB free in ${root}: images, templates and hosts take about 10 GiB`,
              fix: "free space there (`sattva-chaos clean --all`, `docker image prune`)",
            },
      );
    return results;
  },
};

/** What the images of `mode` still need here: nothing when all are present. */
function images(mode: ImageMode): PreflightCheck {
  return {
    check: "images",
    async run() {
      const { missing, needs } = await imagesToMake(mode);
      if (missing.length === 0) return ok(this.check, `every ${mode} image is on this machine`);
      const results: PreflightResult[] = [
        {
          check: this.check,
          status: "ok",
          detail: `${missing.length} ${mode} image(s) to make first (${missing.join(", ")}): a few minutes, once`,
        },
      ];
      const tools = { debootstrap: "debootstrap", go: "golang-go" } as const;
      for (const [tool, pkg] of Object.entries(tools)) {
        if (!needs.has(tool as keyof typeof tools)) continue;
        results.push(
          (await findProgram(tool)) !== undefined
            ? ok(tool, `found (needed to build the ${mode} images)`)
            : {
                check: tool,
                status: "missing",
                detail: `not found; building the ${mode} images needs it`,
                fix: `apt-get install ${pkg}`,
              },
        );
      }
      return results;
    },
  };
}

/** Inner containers resolve through this machine's resolver, never a public one. */
const resolver: PreflightCheck = {
  check: "resolver",
  async run() {
    return ok(this.check, `inner containers resolve through ${await machineResolver()}`);
  },
};

/** The exposure audit of a container host enters a probe container's network namespace. */
const exposureProbe: PreflightCheck = {
  check: "exposure probe",
  async run() {
    const root = process.getuid?.() === 0;
    if (root && (await findProgram("nsenter")) !== undefined)
      return ok(this.check, "root and nsenter: outsiders' view can be probed");
    return {
      check: this.check,
      status: "warning",
      detail: `${root ? "no nsenter" : "not root"}: the exposure audit of a container host will be inconclusive`,
      fix: root ? "apt-get install util-linux" : "run as root",
    };
  },
};

const chromium: PreflightCheck = {
  check: "Chromium",
  async run() {
    const found = await findChromium();
    return found === undefined
      ? {
          check: this.check,
          status: "warning",
          detail: `${CHROMIUM_MISSING}: no report.png`,
          fix: "apt-get install chromium",
        }
      : ok(this.check, `${found} (the report's screenshot)`);
  },
};

const capacity: PreflightCheck = {
  check: "cores and memory",
  run() {
    const machine = thisMachine();
    return Promise.resolve(
      ok(
        this.check,
        `${machine.cores} core(s), ${(machine.freeMemoryBytes / GIB).toFixed(0)} GiB free: ${defaultJobs(machine, Number.POSITIVE_INFINITY)} host(s) at once by default`,
      ),
    );
  },
};

/** libvirt, QEMU and Vagrant, with its libvirt provider, root, the VM driver, and the box. */
const vagrant: PreflightCheck = {
  check: "Vagrant",
  async run() {
    const results: PreflightResult[] = [];
    results.push(
      process.getuid?.() === 0
        ? ok("root", "libvirtd and its qemu.conf are system-wide")
        : { check: "root", status: "missing", detail: "Vagrant VMs need root", fix: "run as root" },
    );
    const { missing } = await libvirtPrograms();
    if (missing.length > 0) {
      results.push({
        check: "libvirt, QEMU, Vagrant",
        status: "missing",
        detail: `missing packages: ${missing.join(", ")}`,
        fix: installLibvirt(missing),
      });
      return results;
    }
    results.push(ok("libvirt, QEMU, Vagrant", "libvirtd, virtlogd, QEMU and Vagrant found"));
    const plugins = await runLocal("vagrant", ["plugin", "list"], { check: false, timeoutMs: 60_000 });
    results.push(
      plugins.stdout.includes("vagrant-libvirt")
        ? ok("vagrant-libvirt", "the libvirt provider is installed")
        : {
            check: "vagrant-libvirt",
            status: "missing",
            detail: "Vagrant has no libvirt provider",
            fix: "apt-get install vagrant-libvirt",
          },
    );
    const driver = vagrantDriver();
    const kvm = await access("/dev/kvm", constants.R_OK | constants.W_OK).then(
      () => true,
      () => false,
    );
    results.push(
      driver !== "kvm"
        ? ok(
            "VM driver",
            `${driver}: QEMU emulates the VM (TCG), which works everywhere, slowly${kvm ? "; /dev/kvm is here: SATTVA_VM_LIBVIRT_DRIVER=kvm uses it where it runs stock guests" : ""}`,
          )
        : kvm
          ? ok("VM driver", "kvm, /dev/kvm usable")
          : {
              check: "VM driver",
              status: "missing",
              detail: "SATTVA_VM_LIBVIRT_DRIVER=kvm, but /dev/kvm is not usable",
              fix: "unset SATTVA_VM_LIBVIRT_DRIVER (QEMU's emulation) or enable KVM",
            },
    );
    const box = await currentBox();
    const registered = await registeredBoxes().catch((): string[] => []);
    results.push(
      ok(
        "box",
        registered.includes(box.name)
          ? `${box.name} is registered`
          : `${box.name} is built on first use (\`sattva-chaos vagrant box\` builds it ahead)`,
      ),
    );
    return results;
  },
};

/** An existing host: reached over SSH with its host key checked, and sudo without a password. */
function sshHost(target: SshTarget): PreflightCheck {
  return {
    check: `SSH ${target.name}`,
    async run() {
      const host = await target.start();
      try {
        const sudo = await host.run("sudo -n true", { check: false, timeoutMs: 30_000 });
        return [
          ok(this.check, "reached, host key checked"),
          sudo.exitCode === 0
            ? ok("sudo", "sudo without a password")
            : {
                check: "sudo",
                status: "missing",
                detail: `sudo -n true failed (${sudo.stderr.trim() || `exit ${sudo.exitCode}`})`,
                fix: "give the login user passwordless sudo (NOPASSWD) for the harness's commands",
              },
        ];
      } finally {
        await host.dispose();
      }
    },
  };
}

/** What `target` needs on this machine (and, for an existing host, there), for image mode `mode`. */
export function preflightChecks(target: Target, mode: ImageMode): PreflightCheck[] {
  if (target instanceof SshTarget) return [sshHost(target)];
  const common = [dockerEngine, images(mode), resolver, chromium];
  if (target.name === "vagrant") return [...common, vagrant];
  return [...common, exposureProbe, capacity];
}
