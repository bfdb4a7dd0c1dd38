import { GenericContainer, type WaitStrategy } from "testcontainers";

export interface SystemdHostContainerOptions {
  readonly name: string;
  readonly network: string;
  /** Named volume for the inner /var/lib/docker (overlay2 cannot sit on the container's overlayfs). */
  readonly dockerVolume: string;
  readonly labels: Record<string, string>;
  /** Content of the inner engine's /etc/docker/daemon.json. */
  readonly innerDaemonJson: string;
  readonly ports: readonly number[];
  /** The loopback port each of `ports` is published on; Docker picks one for the others. */
  readonly hostPorts?: ReadonlyMap<number, number>;
  /** This machine's directory mounted as the host's pip cache, so venvs install from cached wheels. */
  readonly pipCacheDir: string;
}

/**
 * What systemd and its Docker engine need of the kernel beyond Docker's defaults (mounts and cgroups,
 * networks and iptables, ptrace for systemd's process tracking, priorities, locked memory, the audit
 * log), and nothing that reaches beyond the container: no SYS_TIME (the clock is this machine's), no
 * SYS_MODULE, SYS_RAWIO, SYSLOG, MAC_ADMIN, BPF or SYS_BOOT. SYS_RESOURCE is withheld from every
 * process on these machines anyway.
 */
export const HOST_CAPABILITIES = [
  "SYS_ADMIN",
  "NET_ADMIN",
  "NET_BROADCAST",
  "SYS_PTRACE",
  "SYS_NICE",
  "IPC_LOCK",
  "IPC_OWNER",
  "DAC_READ_SEARCH",
  "LEASE",
  "AUDIT_CONTROL",
  "AUDIT_READ",
] as const;

/** Readiness is the Host's business (systemd running, inner engine up), checked the same on every target. */
const noContainerWait: WaitStrategy = {
  waitUntilReady: () => Promise.resolve(),
  withStartupTimeout() {
    return this;
  },
  isStartupTimeoutSet: () => true,
  getStartupTimeout: () => 0,
};

/**
 * A container that boots systemd as PID 1 and runs its own Docker engine, with the flags measured to
 * work on these machines (../shared/notes/host-container.md), then narrowed: no --privileged
 * (CAP_SYS_RESOURCE is withheld here), only the capabilities it needs, /proc/sys read-only but for its
 * own network's, a private cgroup namespace (never the machine's /sys/fs/cgroup), ports on 127.0.0.1.
 */
export class SystemdHostContainer extends GenericContainer {
  constructor(image: string, options: SystemdHostContainerOptions) {
    super(image);
    this.withName(options.name)
      .withHostname(options.name)
      .withNetworkMode(options.network)
      .withLabels(options.labels)
      .withAddedCapabilities(...HOST_CAPABILITIES)
      .withSecurityOpt("seccomp=unconfined", "apparmor=unconfined")
      .withTmpFs({ "/run": "", "/run/lock": "" })
      .withCopyContentToContainer([{ content: options.innerDaemonJson, target: "/etc/docker/daemon.json" }])
      .withExposedPorts(...options.ports)
      .withWaitStrategy(noContainerWait);
    // Never the machine's own cgroup namespace: systemd would remount its /sys/fs/cgroup read-only.
    Object.assign(this.hostConfig, { CgroupnsMode: "private" }); // Docker API 1.41; missing from dockerode's types
    // Docker's masked and read-only paths stay: /proc/sys is this machine's kernel (container-init makes
    // the network namespace's own /proc/sys/net writable again).
    this.hostConfig.DeviceCgroupRules = ["a *:* rwm"];
    this.hostConfig.Binds = [
      `${options.dockerVolume}:/var/lib/docker`,
      `${options.pipCacheDir}:/root/.cache/pip`,
    ];
    // testcontainers binds exposed ports on every interface; the harness's hosts listen on loopback only.
    this.hostConfig.PortBindings = Object.fromEntries(
      options.ports.map((port) => [
        `${port}/tcp`,
        [{ HostIp: "127.0.0.1", HostPort: String(options.hostPorts?.get(port) ?? "") }],
      ]),
    );
    // Stopping systemd with an inner engine and its containers takes more than Docker's default 10 s.
    this.createOpts.StopTimeout = 30;
  }
}
