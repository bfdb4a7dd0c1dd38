import { homedir } from "node:os";
import path from "node:path";

/** This machine's cache of the harness (`$XDG_CACHE_HOME/sattva-chaos/...`): kept between runs. */
export function cacheDir(...parts: string[]): string {
  return path.join(process.env["XDG_CACHE_HOME"] ?? path.join(homedir(), ".cache"), "sattva-chaos", ...parts);
}
