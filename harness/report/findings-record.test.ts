import { expect, it } from "vitest";
import type { Finding } from "../findings/finding.ts";
import { findingsOfRecords } from "./findings-record.ts";

const finding = (id: string, observed: string): Finding => ({
  id,
  severity: "info",
  kind: "runbook",
  subject: "runbook",
  runbook: { section: "s", quote: "q", line: 1 },
  observed,
  impact: "i",
});

it("counts a finding two audits made once, and keeps findings that differ in what was observed", () => {
  const contradiction = finding("runbook.sleep-10", "a fixed 10 s");
  const records = [
    { source: "static audit", writtenAt: "1", findings: [contradiction, finding("unit.exec", "a")] },
    { source: "smoke: topology audit", writtenAt: "2", findings: [contradiction, finding("unit.exec", "b")] },
  ];
  expect(findingsOfRecords(records).map((f) => `${f.id} ${f.observed}`)).toEqual([
    "runbook.sleep-10 a fixed 10 s",
    "unit.exec a",
    "unit.exec b",
  ]);
});
