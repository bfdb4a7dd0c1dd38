import type { Stack } from "../../stack/stack.ts";
import { healedBy, type Fault } from "../fault.ts";

/** The local package index (test double sattva-chaos-pypi) and the version number of the bad release. */
const INDEX_DIR = "/opt/sattva-chaos/pypi";
const INDEX_URL = "http://127.0.0.1:39089/simple/";
export const BAD_RELEASE = "2099.1.1";

/**
 * The streamer's and the backend's venvs on the host, the streamer's requirements and unit, by the
 * checkout's names (the runbook's `/opt/sattva-streamer/streamer/venv` and the rest by default).
 */
function pathsOf(stack: Stack) {
  const { deployment, root } = stack;
  const streamer = deployment.streamerVenv ?? {
    dir: "streamer/venv",
    requirements: "streamer/requirements.txt",
  };
  return {
    streamerVenv: `${root}/${streamer.dir}`,
    backendVenv: `${root}/${deployment.backendVenv?.dir ?? "backend/venv"}`,
    backendRequirements: `${root}/${deployment.backendVenv?.requirements ?? "backend/requirements.txt"}`,
    requirements: `${root}/${streamer.requirements ?? "streamer/requirements.txt"}`,
    streamerUnit: deployment.unitName("streamer"),
  };
}

/** Prints the yt-dlp version a requirements file pins (nothing when it pins none, or is not there). */
const printPin = (requirements: string) =>
  `sed -n 's/^yt-dlp==\\([^[:space:]]*\\).*/\\1/p' ${requirements} 2>/dev/null`;

/** Prints the yt-dlp version the streamer's requirements pin (nothing when they pin none). */
const printPinnedYtDlp = (stack: Stack) => printPin(pathsOf(stack).requirements);

/** The yt-dlp version the streamer's requirements pin. */
export async function pinnedYtDlp(stack: Stack): Promise<string> {
  const version = (await stack.host.run(printPinnedYtDlp(stack))).stdout.trim();
  if (version === "") throw new Error(`${pathsOf(stack).requirements} pins no yt-dlp version`);
  return version;
}

/**
 * Publishes yt-dlp to the local index (the pinned release, downloaded from PyPI, and optionally a bad
 * newer one) and points both venvs' pip at it: from now on `pip install -U yt-dlp` on this host
 * resolves there, deterministically.
 */
async function publishIndex(stack: Stack, withBadRelease: boolean): Promise<void> {
  const pinned = await pinnedYtDlp(stack);
  const { streamerVenv, backendVenv } = pathsOf(stack);
  const wheel = `${INDEX_DIR}/files/yt_dlp-${pinned}-py3-none-any.whl`;
  const steps = [
    `mkdir -p ${INDEX_DIR}/files ${INDEX_DIR}/simple/yt-dlp`,
    `test -e ${wheel} || ${streamerVenv}/bin/pip download --quiet --no-deps -d ${INDEX_DIR}/files yt-dlp==${pinned}`,
    withBadRelease
      ? `python3 /opt/sattva-chaos/make-bad-release.py ${wheel} ${BAD_RELEASE} ${INDEX_DIR}/files`
      : "true",
    `(cd ${INDEX_DIR}/files && for f in *.whl; do echo "<a href=\\"../../files/$f\\">$f</a><br>"; done) > ${INDEX_DIR}/simple/yt-dlp/index.html`,
    ...[streamerVenv, backendVenv].map(
      (venv) => `printf '[global]\\nindex-url = ${INDEX_URL}\\n' > ${venv}/pip.conf`,
    ),
  ];
  await stack.host.run(steps.join(" && "), { timeoutMs: 5 * 60_000 });
}

/**
 * Back to the provisioned state: PyPI for pip, the pinned yt-dlp in the streamer venv only, index empty.
 * The runbook's manual step installs yt-dlp into the backend's venv, which provisioning never does.
 */
const restoreYtDlp = {
  leftovers: ytDlpLeftovers,
  ...healedBy(
    (stack) => {
      const { streamerVenv, backendVenv, backendRequirements, streamerUnit } = pathsOf(stack);
      return [
        `pinned=$(${printPinnedYtDlp(stack)})`,
        `[ -n "$pinned" ]`,
        `rm -f ${streamerVenv}/pip.conf ${backendVenv}/pip.conf`,
        `rm -rf ${INDEX_DIR}/files ${INDEX_DIR}/simple`,
        "systemctl start sattva-chaos-pypi",
        `${streamerVenv}/bin/pip install --quiet --force-reinstall --no-deps "yt-dlp==$pinned"`,
        // The runbook's manual step put yt-dlp in the backend's venv: out again, unless the backend's
        // own requirements have it (then back to their pin), or both units share one venv.
        ...(backendVenv === streamerVenv
          ? []
          : [
              `backend_pin=$(${printPin(backendRequirements)} || true)`,
              `if [ -n "$backend_pin" ]; then ${backendVenv}/bin/pip install --quiet --force-reinstall --no-deps "yt-dlp==$backend_pin"; else (${backendVenv}/bin/pip uninstall --quiet -y yt-dlp || true); fi`,
            ]),
        `systemctl restart ${streamerUnit}`,
      ].join(" && ");
    },
    { timeoutMs: 5 * 60_000 },
  ),
};

/**
 * What a yt-dlp fault leaves when not undone: the local index's files, pip pointed at it, a yt-dlp other
 * than the pinned one in the streamer's venv.
 */
async function ytDlpLeftovers(stack: Stack): Promise<string[]> {
  const leftovers: string[] = [];
  const index = await stack.host.run(
    `ls ${INDEX_DIR}/files 2>/dev/null; ${stack.deployment.venvs.map((v) => `ls ${stack.root}/${v.dir}/pip.conf 2>/dev/null`).join("; ")}`,
    { check: false },
  );
  if (index.stdout.trim() !== "")
    leftovers.push(
      `local package index or pip configuration left: ${index.stdout.trim().replace(/\n/g, ", ")}`,
    );
  // A stack whose requirements pin no yt-dlp has no version to come back to.
  const pinned = await pinnedYtDlp(stack).catch(() => undefined);
  const installed = await streamerImportsYtDlp(stack);
  if (pinned !== undefined && (!installed.ok || installed.said !== pinned))
    leftovers.push(`the streamer's yt-dlp is ${installed.said}, not the pinned ${pinned}`);
  return leftovers;
}

/** Whether the streamer's venv can import yt-dlp, and what it says. */
export async function streamerImportsYtDlp(stack: Stack): Promise<{ ok: boolean; said: string }> {
  const probe = await stack.host.run(
    `${pathsOf(stack).streamerVenv}/bin/python -c 'import yt_dlp; print(yt_dlp.version.__version__)'`,
    {
      check: false,
    },
  );
  return { ok: probe.exitCode === 0, said: (probe.stdout + probe.stderr).trim().split("\n").at(-1) ?? "" };
}

/** (a) A half-finished upgrade: part of the package is gone, so `import yt_dlp` fails and the streamer exits. */
export const ytDlpHalfInstalled: Fault = {
  name: "yt-dlp half-installed in the streamer venv (yt_dlp/version.py missing)",
  async inject(stack) {
    await publishIndex(stack, false);
    const { streamerVenv, streamerUnit } = pathsOf(stack);
    await stack.host.run(
      `rm -f ${streamerVenv}/lib/python3*/site-packages/yt_dlp/version.py && systemctl restart ${streamerUnit}`,
    );
  },
  async prove(stack) {
    const imported = await streamerImportsYtDlp(stack);
    if (imported.ok) throw new Error(`yt-dlp still imports: ${imported.said}`);
    return `import yt_dlp: ${imported.said}`;
  },
  ...restoreYtDlp,
};

/** (b) A bad release published to the index the host uses: it installs and imports, and cannot extract. */
export const ytDlpBadReleasePublished: Fault = {
  name: `yt-dlp ${BAD_RELEASE} (extraction broken) published to the host's package index`,
  inject: (stack) => publishIndex(stack, true),
  async prove(stack) {
    const index = await stack.host.run(`curl -fsS ${INDEX_URL}yt-dlp/`);
    if (!index.stdout.includes(`yt_dlp-${BAD_RELEASE}-`))
      throw new Error(`the index does not list ${BAD_RELEASE}`);
    return `${INDEX_URL}yt-dlp/ lists ${BAD_RELEASE}`;
  },
  ...restoreYtDlp,
};

/** (c) The package index unreachable when the 04:00 update runs. */
export const ytDlpIndexUnreachable: Fault = {
  name: "the host's package index unreachable",
  async inject(stack) {
    await publishIndex(stack, false);
    await stack.host.run("systemctl stop sattva-chaos-pypi");
  },
  async prove(stack) {
    const index = await stack.host.run(`curl -fsS ${INDEX_URL}yt-dlp/`, { check: false });
    if (index.exitCode === 0) throw new Error(`${INDEX_URL} still answers`);
    return `curl ${INDEX_URL}: exit ${index.exitCode} (${index.stderr.trim()})`;
  },
  ...restoreYtDlp,
};
