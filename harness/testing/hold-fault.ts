// Deploys the stack on a container host, prints what its .env is before chaos mode (its sha256, or
// "absent"), applies chaos mode (and prints why applying it again is refused), partitions backend ->
// PostgreSQL the way a scenario does (each armed on a dead-man switch of the host), prints the host's
// name, and holds until killed. Used to test that the switches heal the fault and revert chaos mode
// when the harness dies mid-scenario.
import { ChaosRun } from "../chaos/chaos-run.ts";
import { ensureImages, imagesForHostEngine } from "../images/image-builder.ts";
import { partition } from "../network/network-faults.ts";
import { ToxiproxyOverlay } from "../network/toxiproxy-overlay.ts";
import { HOST_PORTS } from "../stack-ports.ts";
import { BUNDLED_STACK, openStackDir } from "../stack/stack-layout.ts";
import { Stack } from "../stack/stack.ts";
import { ContainerTarget } from "../targets/container/container-target.ts";
import { ENV_DIGEST } from "./machine-state.ts";

const images = await ensureImages({ mode: "offline" });
const source = await openStackDir(BUNDLED_STACK);
const host = await new ContainerTarget().start({
  images: imagesForHostEngine(images),
  ports: HOST_PORTS,
  provisioning: await Stack.provisioning(source, images),
});
const stack = new Stack(host, source, images);
await stack.start();
process.stdout.write(`${(await host.run(ENV_DIGEST)).stdout.trim()}\n`);
const toxiproxy = images.get("toxiproxy")?.ref;
if (toxiproxy === undefined) throw new Error("no toxiproxy image");
const network = await ToxiproxyOverlay.apply(stack, toxiproxy);
// A second apply on the same host is refused, changing nothing: it would take chaos mode's .env for the stack's.
const refusal = await ToxiproxyOverlay.apply(stack, toxiproxy).then(
  () => "applied twice",
  (error: unknown) => (error as Error).message.split("\n")[0] ?? "",
);
process.stdout.write(`${refusal}\n`);
const run = new ChaosRun(stack);
await run.baseline();
await run.inject(partition(network, "backend-postgres"));
process.stdout.write(`${host.name}\n`);
setInterval(() => undefined, 60_000);
