import { docker } from "../docker/docker-cli.ts";
import { Label } from "../docker/labels.ts";

/** Names of the containers, networks and volumes on this machine's engine labelled for one host. */
export async function hostResources(
  host: string,
): Promise<Record<"containers" | "networks" | "volumes", string[]>> {
  const byHost = ["--filter", `label=${Label.host}=${host}`];
  const names = async (args: string[]) =>
    (await docker(args)).stdout.split("\n").filter((name) => name !== "");
  const [containers, networks, volumes] = await Promise.all([
    names(["ps", "-a", ...byHost, "--format", "{{.Names}}"]),
    names(["network", "ls", ...byHost, "--format", "{{.Name}}"]),
    names(["volume", "ls", ...byHost, "--format", "{{.Name}}"]),
  ]);
  return { containers, networks, volumes };
}
