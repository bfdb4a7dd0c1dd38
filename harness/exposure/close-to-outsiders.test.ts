import { expect, it } from "vitest";
import { HARNESS_RULE_COMMENT } from "../chaos/faults/firewall.ts";
import { closingRules } from "./close-to-outsiders.ts";

it("closes host ports in INPUT and published ports in DOCKER-USER by the port asked for, on the outsiders' interface only", () => {
  const rules = closingRules({ address: "10.0.0.2", hostPorts: [8000], publishedPorts: [9090] }, "eth0");
  expect(rules).toEqual([
    `INPUT -i eth0 -p tcp --dport 8000 -m comment --comment ${HARNESS_RULE_COMMENT} -j DROP`,
    `DOCKER-USER -i eth0 -p tcp -m conntrack --ctorigdstport 9090 --ctdir ORIGINAL -m comment --comment ${HARNESS_RULE_COMMENT} -j DROP`,
  ]);
});

it("keeps the operator's (the harness's) own source open", () => {
  const [rule] = closingRules(
    { address: "10.0.0.2", hostPorts: [], publishedPorts: [9093], keepOpenFor: "10.0.0.1" },
    "eth0",
  );
  expect(rule).toContain("-i eth0 ! -s 10.0.0.1 -p tcp");
});
