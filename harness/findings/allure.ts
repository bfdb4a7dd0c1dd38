import { createHash } from "node:crypto";
import { LabelName, Severity as AllureSeverity, Stage, Status } from "allure-js-commons";
import { FileSystemWriter, ReporterRuntime } from "allure-js-commons/sdk/reporter";
import { findingLocation, sortFindings, type Finding, type Severity } from "./finding.ts";
import { renderFindingsText } from "./text.ts";

const ALLURE_SEVERITY: Readonly<Record<Severity, AllureSeverity>> = {
  blocker: AllureSeverity.BLOCKER,
  warning: AllureSeverity.NORMAL,
  info: AllureSeverity.MINOR,
};

/**
 * A run's findings as allure results beside the scenarios' (one test result per finding, a suite per
 * source), so the allure report lists them with the tests: a blocker fails, the rest pass with their
 * text. Ids are stable per finding, so allure's history follows one finding from night to night.
 */
export function writeFindingsAllure(
  resultsDir: string,
  records: readonly { readonly source: string; readonly findings: readonly Finding[] }[],
  atMs: number = Date.now(),
): number {
  const runtime = new ReporterRuntime({ writer: new FileSystemWriter({ resultsDir }) });
  let written = 0;
  for (const record of records) {
    for (const finding of sortFindings(record.findings)) {
      const name = `${finding.id} ${findingLocation(finding)}`;
      const fullName = `findings: ${record.source}: ${name}: ${finding.observed}`;
      const id = createHash("md5").update(fullName).digest("hex");
      const uuid = runtime.startTest({
        name,
        fullName,
        historyId: id,
        testCaseId: id,
        start: atMs,
        labels: [
          { name: LabelName.PARENT_SUITE, value: "findings" },
          { name: LabelName.SUITE, value: record.source },
          { name: LabelName.SEVERITY, value: ALLURE_SEVERITY[finding.severity] },
          { name: LabelName.TAG, value: finding.kind },
        ],
        description: renderFindingsText([finding]),
      });
      runtime.updateTest(uuid, (result) => {
        result.status = finding.severity === "blocker" ? Status.FAILED : Status.PASSED;
        result.stage = Stage.FINISHED;
        if (finding.severity === "blocker") result.statusDetails = { message: finding.observed };
      });
      runtime.stopTest(uuid, { stop: atMs });
      runtime.writeTest(uuid);
      written++;
    }
  }
  return written;
}
