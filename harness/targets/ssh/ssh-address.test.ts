import { describe, expect, it } from "vitest";
import { UsageError } from "../../errors.ts";
import { formatSshAddress, parseSshAddress } from "./ssh-address.ts";

describe("parseSshAddress", () => {
  it("reads user, host and port, 22 by default", () => {
    expect(parseSshAddress("ssh://deploy@staging.example.org:2222")).toEqual({
      user: "deploy",
      hostname: "staging.example.org",
      port: 2222,
    });
    expect(parseSshAddress("ssh://root@10.0.0.5").port).toBe(22);
    expect(parseSshAddress("ssh://root@[::1]:22").hostname).toBe("::1");
  });

  it.each([
    ["staging.example.org", /not a URL/],
    ["http://root@host", /not an ssh:\/\/ URL/],
    ["ssh://host:22", /names no user/],
    ["ssh://root:secret@host", /password, path or query/],
    ["ssh://root@host/srv", /password, path or query/],
  ])("refuses %s, naming --target and the expected form", (value, reason) => {
    const parse = () => parseSshAddress(value);
    expect(parse).toThrow(UsageError);
    expect(parse).toThrow(reason);
    expect(parse).toThrow(/--target .*expected ssh:\/\/user@host\[:port\]/);
  });

  it("formats back to the URL it came from", () => {
    for (const url of ["ssh://deploy@staging:2222", "ssh://root@10.0.0.5", "ssh://root@[::1]:2200"]) {
      expect(formatSshAddress(parseSshAddress(url))).toBe(url);
    }
  });
});
