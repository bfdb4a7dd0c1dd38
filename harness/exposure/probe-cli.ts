// `node probe-cli.ts ADDRESS PORT...`: probes the ports and prints what answered, as JSON. Run inside
// another network namespace (nsenter), it sees the host from there (probe-from-network.ts).
import { probePorts } from "./port-probe.ts";

const [address, ...ports] = process.argv.slice(2);
if (address === undefined || ports.length === 0) {
  process.stderr.write("usage: probe-cli.ts ADDRESS PORT...\n");
  process.exit(3);
}
process.stdout.write(`${JSON.stringify(await probePorts(address, ports.map(Number)))}\n`);
