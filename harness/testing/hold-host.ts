// Boots a container host, prints its name, and holds it until the process is signalled or killed.
// Used to test what happens to hosts when the harness is interrupted (SIGINT) or dies (SIGKILL).
import { ContainerTarget } from "../targets/container/container-target.ts";

const host = await new ContainerTarget().start();
process.stdout.write(`${host.name}\n`);
setInterval(() => undefined, 60_000);
