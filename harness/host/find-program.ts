import { constants } from "node:fs";
import { access } from "node:fs/promises";
import path from "node:path";

/**
 * Where `name` is as an executable on this machine: on PATH, then in the sbin directories (daemons and
 * tools like nsenter live there, which a user's PATH may lack); undefined when it is nowhere.
 */
export async function findProgram(name: string): Promise<string | undefined> {
  const dirs = [...(process.env["PATH"] ?? "").split(path.delimiter), "/usr/sbin", "/sbin"].filter(
    (dir) => dir !== "",
  );
  for (const file of dirs.map((dir) => path.join(dir, name))) {
    const executable = await access(file, constants.X_OK).then(
      () => true,
      () => false,
    );
    if (executable) return file;
  }
  return undefined;
}
