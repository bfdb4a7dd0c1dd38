// `node probe-cli.ts ADDRESS REQUEST`: probes what REQUEST (a ProbeRequest, as JSON) names and prints
// what answered, as JSON. Run inside another network namespace (nsenter), it sees the host from there
// (probe-from-network.ts).
import { probeHost, type ProbeRequest } from "./port-probe.ts";

const [address, request] = process.argv.slice(2);
if (address === undefined || request === undefined) {
  process.stderr.write("usage: probe-cli.ts ADDRESS REQUEST-JSON\n");
  process.exit(3);
}
process.stdout.write(`${JSON.stringify(await probeHost(address, JSON.parse(request) as ProbeRequest))}\n`);
