import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { runLocal } from "../host/local-command.ts";
import { Label } from "../docker/labels.ts";
import { withTempDir } from "../lifecycle/temp-dir.ts";
import { recipeHash } from "./recipe-hash.ts";

const DEFAULT_MIRROR = "http://deb.debian.org/debian";
const SUITE = "bookworm";
/** Bump when buildDebianBase changes what it produces, so cached bases are rebuilt. */
const BASE_PROCEDURE = 2;

/**
 * The Debian mirror this machine's apt uses (first `.../debian` source that is not the security
 * archive), so image builds reach the same mirror the machine does. SATTVA_CHAOS_DEBIAN_MIRROR overrides.
 */
export async function debianMirror(): Promise<string> {
  const fromEnv = process.env["SATTVA_CHAOS_DEBIAN_MIRROR"];
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv.replace(/\/$/, "");
  const files = ["/etc/apt/sources.list"];
  try {
    const dir = "/etc/apt/sources.list.d";
    files.push(...(await readdir(dir)).map((name) => path.join(dir, name)));
  } catch {
    // No sources.list.d: sources.list alone decides.
  }
  for (const file of files) {
    const text = await readFile(file, "utf8").catch(() => "");
    const mirror = firstDebianMirror(text);
    if (mirror !== undefined) return mirror;
  }
  return DEFAULT_MIRROR;
}

/** The first main-archive Debian URI in an apt sources text (one-line or deb822 format). */
export function firstDebianMirror(sources: string): string | undefined {
  for (const line of sources.split("\n")) {
    const match = /^(?:URIs:\s*|deb\s+(?:\[[^\]]*\]\s+)?)(https?:\/\/\S+?\/debian)\/?(?:\s|$)/.exec(
      line.trim(),
    );
    if (match?.[1] !== undefined) return match[1];
  }
  return undefined;
}

export interface DebianBase {
  readonly ref: string;
  readonly mirror: string;
}

/** The reference and mirror of the debootstrap base; building it is the builder's job. */
export async function debianBase(salt: string): Promise<DebianBase> {
  const mirror = await debianMirror();
  const hash = await recipeHash(undefined, {
    suite: SUITE,
    variant: "minbase",
    mirror,
    salt,
    procedure: BASE_PROCEDURE,
  });
  return { ref: `sattva-chaos/base:${hash}`, mirror };
}

/** debootstrap a minimal bookworm into a temporary directory and `docker import` it as `ref`. */
export async function buildDebianBase(base: DebianBase): Promise<void> {
  await withTempDir("debootstrap", async (root) => {
    await runLocal("debootstrap", ["--variant=minbase", SUITE, root, base.mirror], {
      timeoutMs: 15 * 60_000,
    });
    // debootstrap keeps the packages it downloaded; every image would carry them, every host load them.
    await runLocal("bash", ["-c", 'rm -rf "$0"/var/cache/apt/archives/*.deb "$0"/var/lib/apt/lists/*', root]);
    const importChanges = `--change 'LABEL ${Label.managed}=true' --change 'CMD ["bash"]'`;
    await runLocal(
      "bash",
      ["-c", `set -o pipefail; tar -C "$0" -c . | docker import ${importChanges} - "$1"`, root, base.ref],
      {
        display: `tar -C ${root} -c . | docker import - ${base.ref}`,
        timeoutMs: 10 * 60_000,
      },
    );
  });
}
