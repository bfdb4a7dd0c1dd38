import { durationSeconds } from "./duration.ts";

/**
 * nginx configuration as nginx tokenizes it: directives with their arguments and line, blocks nested
 * in braces, `#` comments, quoted arguments with escapes. `include` is kept as a directive (the files
 * it names live in the image, not in the checkout).
 */

export interface NginxDirective {
  readonly name: string;
  readonly args: readonly string[];
  readonly line: number;
  /** The directives inside `{ }`, or undefined for a simple directive ending in `;`. */
  readonly block?: readonly NginxDirective[];
}

export class NginxParseError extends Error {
  readonly line: number;
  constructor(message: string, line: number) {
    super(`${message} (line ${line})`);
    this.line = line;
  }
}

interface Token {
  readonly text: string;
  readonly line: number;
  /** A quoted string is never punctuation, even when it is "{" or ";". */
  readonly quoted: boolean;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const char = text.charAt(i);
    if (char === "\n") {
      line++;
      i++;
    } else if (/\s/.test(char)) {
      i++;
    } else if (char === "#") {
      while (i < text.length && text.charAt(i) !== "\n") i++;
    } else if (char === "{" || char === "}" || char === ";") {
      tokens.push({ text: char, line, quoted: false });
      i++;
    } else if (char === '"' || char === "'") {
      const start = line;
      let value = "";
      i++;
      while (i < text.length && text.charAt(i) !== char) {
        if (text.charAt(i) === "\\" && i + 1 < text.length) i++;
        if (text.charAt(i) === "\n") line++;
        value += text.charAt(i);
        i++;
      }
      if (i >= text.length) throw new NginxParseError(`unterminated ${char} string`, start);
      i++;
      tokens.push({ text: value, line: start, quoted: true });
    } else {
      let value = "";
      while (i < text.length && !/[\s{};]/.test(text.charAt(i))) {
        // `${name}` is one variable: its braces are not a block.
        if (text.charAt(i) === "$" && text.charAt(i + 1) === "{") {
          const end = text.indexOf("}", i);
          if (end === -1) throw new NginxParseError("unterminated ${ variable", line);
          value += text.slice(i, end + 1);
          i = end + 1;
          continue;
        }
        value += text.charAt(i);
        i++;
      }
      tokens.push({ text: value, line, quoted: false });
    }
  }
  return tokens;
}

/** Parses an nginx configuration file; a syntax error names its line. */
export function parseNginxConf(text: string): NginxDirective[] {
  const tokens = tokenize(text);
  let position = 0;
  const parseBlock = (closing: boolean): NginxDirective[] => {
    const directives: NginxDirective[] = [];
    while (position < tokens.length) {
      const token = tokens[position++] as Token;
      if (!token.quoted && token.text === "}") {
        if (!closing) throw new NginxParseError('unexpected "}"', token.line);
        return directives;
      }
      if (!token.quoted && (token.text === "{" || token.text === ";"))
        throw new NginxParseError(`unexpected "${token.text}"`, token.line);
      const args: string[] = [];
      for (;;) {
        const next = tokens[position++];
        if (next === undefined) throw new NginxParseError(`"${token.text}" has no ";" or "{"`, token.line);
        if (!next.quoted && next.text === ";") {
          directives.push({ name: token.text, args, line: token.line });
          break;
        }
        if (!next.quoted && next.text === "{") {
          directives.push({ name: token.text, args, line: token.line, block: parseBlock(true) });
          break;
        }
        if (!next.quoted && next.text === "}") throw new NginxParseError('unexpected "}"', next.line);
        args.push(next.text);
      }
    }
    if (closing) throw new NginxParseError('unexpected end of file, expecting "}"', tokens.at(-1)?.line ?? 1);
    return directives;
  };
  return parseBlock(false);
}

/** Every directive named `name` at any depth, with the chain of blocks it sits in (outermost first). */
export function findDirectives(
  directives: readonly NginxDirective[],
  name: string,
  parents: readonly NginxDirective[] = [],
): { readonly directive: NginxDirective; readonly parents: readonly NginxDirective[] }[] {
  return directives.flatMap((directive) => [
    ...(directive.name === name ? [{ directive, parents }] : []),
    ...(directive.block === undefined ? [] : findDirectives(directive.block, name, [...parents, directive])),
  ]);
}

/** `http://172.17.0.1:8000/api` -> host and port; undefined for a variable or a unix socket. */
export function proxyTarget(url: string): { host: string; port: number } | undefined {
  const match = /^https?:\/\/(\[[^\]]+\]|[^:/$]+)(?::(\d+))?(?:\/|$)/.exec(url);
  if (match === null) return undefined;
  return {
    host: match[1] ?? "",
    port: match[2] === undefined ? (url.startsWith("https") ? 443 : 80) : Number(match[2]),
  };
}

/**
 * Where a proxy_pass URL sends requests: through the configuration's `upstream` block of that name
 * (its first server), else the URL's own host and port; undefined when it is resolved at request time.
 */
export function resolvedProxyTarget(
  directives: readonly NginxDirective[],
  url: string,
): { host: string; port: number } | undefined {
  const named = proxyTarget(url);
  const upstream = findDirectives(directives, "upstream").find(
    ({ directive }) => directive.args[0] === named?.host,
  );
  const server =
    upstream === undefined
      ? undefined
      : findDirectives(upstream.directive.block ?? [], "server")[0]?.directive.args[0];
  return server === undefined ? named : proxyTarget(`http://${server}`);
}

/** A prefix `location` that proxies: the prefix users ask under, and where nginx sends it. */
export interface ProxiedLocation {
  readonly prefix: string;
  readonly url: string;
  readonly target: { readonly host: string; readonly port: number } | undefined;
  readonly line: number;
  /** Whether the location lets only some in: a password (auth_basic, auth_request) or `deny all`. */
  readonly guarded: boolean;
}

/** A location's own access control: a password nginx asks for, or addresses it denies. */
function guarded(block: readonly NginxDirective[]): boolean {
  return block.some(
    (d) =>
      (d.name === "auth_basic" && d.args[0] !== "off") ||
      d.name === "auth_request" ||
      (d.name === "deny" && d.args[0] === "all"),
  );
}

/**
 * Every prefix location (`/x/`, `^~ /x/`, `= /x`) with a proxy_pass, anywhere in the configuration;
 * regular-expression locations name no path one could ask for, so they are left out.
 */
export function proxiedLocations(directives: readonly NginxDirective[]): ProxiedLocation[] {
  return findDirectives(directives, "location").flatMap(({ directive: location }) => {
    const [modifier, path] = location.args.length === 2 ? location.args : [undefined, location.args[0]];
    if (path === undefined || (modifier !== undefined && modifier !== "^~" && modifier !== "=")) return [];
    const proxy = (location.block ?? []).find((d) => d.name === "proxy_pass");
    const url = proxy?.args[0];
    if (proxy === undefined || url === undefined) return [];
    const target = resolvedProxyTarget(directives, url);
    return [{ prefix: path, url, target, line: proxy.line, guarded: guarded(location.block ?? []) }];
  });
}

/** nginx's own proxy_read_timeout when the configuration sets none, in seconds. */
export const NGINX_DEFAULT_PROXY_READ_TIMEOUT = 60;

/**
 * How long nginx waits for an upstream's answer on requests under `prefix` (the API's location):
 * that location's proxy_read_timeout, else the one of a block around it (server, http), else nginx's
 * default of 60 s. In seconds.
 */
export function proxyReadTimeout(directives: readonly NginxDirective[], prefix = "/api/"): number {
  const inLocation = (parents: readonly NginxDirective[]) => parents.find((p) => p.name === "location");
  const timeouts = findDirectives(directives, "proxy_read_timeout");
  const served = (location: NginxDirective | undefined) =>
    location !== undefined && location.args.at(-1)?.replace(/\/$/, "") === prefix.replace(/\/$/, "");
  const chosen =
    timeouts.find(({ parents }) => served(inLocation(parents))) ??
    timeouts.find(({ parents }) => inLocation(parents) === undefined);
  const value = chosen?.directive.args[0];
  return value === undefined
    ? NGINX_DEFAULT_PROXY_READ_TIMEOUT
    : (durationSeconds(value) ?? NGINX_DEFAULT_PROXY_READ_TIMEOUT);
}
