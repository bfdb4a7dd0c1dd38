// Deploys the stack on a container host in chaos mode, partitions backend -> PostgreSQL the way a
// scenario does (the fault armed on the host's dead-man switch), prints the host's name, and holds until
// killed. Used to test that the dead-man switch heals the fault when the harness dies mid-scenario.
import { ChaosRun } from "../chaos/chaos-run.ts";
import { ensureImages, imagesForHostEngine } from "../images/image-builder.ts";
import { partition } from "../network/network-faults.ts";
import { ToxiproxyOverlay } from "../network/toxiproxy-overlay.ts";
import { HOST_PORTS } from "../stack-ports.ts";
import { BUNDLED_STACK, openStackDir } from "../stack/stack-layout.ts";
import { Stack } from "../stack/stack.ts";
import { ContainerTarget } from "../targets/container/container-target.ts";

const images = await ensureImages({ mode: "offline" });
const source = await openStackDir(BUNDLED_STACK);
const host = await new ContainerTarget().start({
  images: imagesForHostEngine(images),
  ports: HOST_PORTS,
  provisioning: await Stack.provisioning(source, images),
});
const stack = new Stack(host, source, images);
await stack.start();
const toxiproxy = images.get("toxiproxy")?.ref;
if (toxiproxy === undefined) throw new Error("no toxiproxy image");
const network = await ToxiproxyOverlay.apply(stack, toxiproxy);
const run = new ChaosRun(stack);
await run.baseline();
await run.inject(partition(network, "backend-postgres"));
process.stdout.write(`${host.name}\n`);
setInterval(() => undefined, 60_000);
