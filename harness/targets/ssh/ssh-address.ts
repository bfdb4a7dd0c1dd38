import { UsageError } from "../../errors.ts";

/** Where an existing host is reached: `ssh://user@host[:port]`. */
export interface SshAddress {
  readonly user: string;
  readonly hostname: string;
  readonly port: number;
}

const EXPECTED = "expected ssh://user@host[:port], e.g. ssh://deploy@staging.example.org:2222";

/** Parses a `--target ssh://…` value; the message names the option, the value and the expected form. */
export function parseSshAddress(value: string): SshAddress {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--target "${value}" is not a URL: ${EXPECTED}`);
  }
  if (url.protocol !== "ssh:") throw new UsageError(`--target "${value}" is not an ssh:// URL: ${EXPECTED}`);
  if (url.username === "") throw new UsageError(`--target "${value}" names no user: ${EXPECTED}`);
  if (url.hostname === "") throw new UsageError(`--target "${value}" names no host: ${EXPECTED}`);
  if (url.password !== "" || (url.pathname !== "" && url.pathname !== "/") || url.search !== "") {
    throw new UsageError(
      `--target "${value}" has a password, path or query: ${EXPECTED} (the key goes in --ssh-key)`,
    );
  }
  return {
    user: decodeURIComponent(url.username),
    // IPv6 literals come back in brackets; ssh wants them bare.
    hostname: url.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: url.port === "" ? 22 : Number(url.port),
  };
}

export function formatSshAddress(address: SshAddress): string {
  const host = address.hostname.includes(":") ? `[${address.hostname}]` : address.hostname;
  return `ssh://${address.user}@${host}${address.port === 22 ? "" : `:${address.port}`}`;
}
