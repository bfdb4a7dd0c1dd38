import { describe, expect, it } from "vitest";
import { CommandError, type CommandResult } from "../../host/command.ts";
import { pickFreeSubnet, subnetsFromInspect } from "./host-network.ts";

const inspect = (result: Partial<CommandResult>): CommandResult => ({
  host: "local",
  command: "docker network inspect",
  exitCode: 0,
  stdout: "",
  stderr: "",
  durationMs: 100,
  timedOut: false,
  ...result,
});

describe("subnetsFromInspect", () => {
  it("keeps the subnets of the networks still there when a concurrent run removed one", () => {
    const result = inspect({
      exitCode: 1,
      stdout: "172.17.0.0/16 \n\n10.213.86.0/24 \n",
      stderr: "Error response from daemon: network f7537f58ecf5 not found\n",
    });
    expect(subnetsFromInspect(result)).toEqual(new Set(["172.17.0.0/16", "10.213.86.0/24"]));
  });

  it("fails on any other error, and on a timeout", () => {
    const refused = inspect({
      exitCode: 1,
      stderr: "Cannot connect to the Docker daemon at unix:///var/run/docker.sock",
    });
    expect(() => subnetsFromInspect(refused)).toThrow(CommandError);
    expect(() => subnetsFromInspect(inspect({ timedOut: true, exitCode: 124 }))).toThrow(/timed out/);
  });
});

describe("pickFreeSubnet", () => {
  it("never picks a subnet in use, and says when none is left", () => {
    const used = new Set(Array.from({ length: 255 }, (_, third) => `10.213.${third}.0/24`));
    expect(pickFreeSubnet(used, () => 0.99)).toBe("10.213.255.0/24");
    used.add("10.213.255.0/24");
    expect(pickFreeSubnet(used)).toBeUndefined();
  });
});
