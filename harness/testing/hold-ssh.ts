// Opens an SSH connection to a host with port 3000 forwarded, prints the forward's loopback port, and
// holds it until killed. Used to test that a harness killed with SIGKILL leaves no ssh process behind.
//   node hold-ssh.ts ssh://user@host:port KEY KNOWN_HOSTS
import { parseSshAddress } from "../targets/ssh/ssh-address.ts";
import { SshConnection } from "../targets/ssh/ssh-connection.ts";

const [url = "", key = "", knownHosts = ""] = process.argv.slice(2);
const connection = await SshConnection.open(parseSshAddress(url), { key, knownHosts, forwardPorts: [3000] });
process.stdout.write(`${String(connection.localPort(3000))}\n`);
setInterval(() => undefined, 60_000);
