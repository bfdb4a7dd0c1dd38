import path from "node:path";
import type { Finding } from "./finding.ts";

/** A workflow command's message: GitHub reads one line, so newlines and % are escaped. */
const escapeData = (text: string) =>
  text.replaceAll("%", "%25").replaceAll("\r", "%0D").replaceAll("\n", "%0A");
/** A workflow command's property value: also `:` and `,`, which separate properties. */
const escapeProperty = (text: string) => escapeData(text).replaceAll(":", "%3A").replaceAll(",", "%2C");

const COMMAND: Readonly<Record<Finding["severity"], string | undefined>> = {
  blocker: "error",
  warning: "warning",
  info: undefined,
};

/**
 * Blockers and warnings as GitHub Actions annotations (`::error file=…,line=…,title=…::…`), on the file
 * and line they are at, relative to the workspace (`workspace`, where the job checked out its
 * repository) when the checkout at `checkoutDir` is inside it. Info findings are not annotated.
 */
export function renderAnnotations(
  findings: readonly Finding[],
  checkoutDir: string,
  workspace: string | undefined,
): string[] {
  return findings.flatMap((finding) => {
    const command = COMMAND[finding.severity];
    if (command === undefined) return [];
    const properties: string[] = [];
    if (finding.file !== undefined && !path.isAbsolute(finding.file)) {
      const absolute = path.join(checkoutDir, finding.file);
      const relative = workspace === undefined ? finding.file : path.relative(workspace, absolute);
      properties.push(`file=${escapeProperty(relative.startsWith("..") ? absolute : relative)}`);
      if (finding.line !== undefined) properties.push(`line=${finding.line}`);
    }
    properties.push(`title=${escapeProperty(`${finding.id} ${finding.subject}`)}`);
    return [`::${command} ${properties.join(",")}::${escapeData(`${finding.observed}\n${finding.impact}`)}`];
  });
}

/**
 * Under GitHub Actions, writes the annotations to `stream` (the runner reads workflow commands from
 * stdout and stderr alike; stderr where stdout carries a JSON document): the job's page shows each
 * blocker and warning on its file and line.
 */
export function annotateFindings(
  findings: readonly Finding[],
  checkoutDir: string,
  stream: NodeJS.WritableStream = process.stdout,
): void {
  if (process.env["GITHUB_ACTIONS"] !== "true") return;
  for (const line of renderAnnotations(findings, checkoutDir, process.env["GITHUB_WORKSPACE"]))
    stream.write(`${line}\n`);
}
